"""What one visitor's input may cost the shared server: every limit on an input, in one place.

Each limit is checked before the work it bounds: an image's size from its header before a pixel is
decoded (uploads and the drawing canvas alike), a table's bytes, columns and cell lengths before it is
parsed, What lies beyond is refused with the numbers,
in one sentence; a table with more rows than the interactive budget is subsampled (with a fixed seed, and
the page says so). Every parser's cost grows at most linearly with its input, so the caps below bound its
time as well as its memory (PARSE_CPU_S, UPLOAD_PEAK_MB). The pages state these limits on their upload
widgets, in the words of ``megabytes``, and ``benchmarks/hostile_inputs.py`` measures what the worst
accepted or refused input costs.
"""
from __future__ import annotations

# ---------------------------------------------------------------- the one unit of every upload limit
# Streamlit's uploader checks a file in the browser, before it is sent, against its cap in MB (server.maxUploadSize,
# or the widget's max_upload_size) as MB x 10**6 bytes, and says it so ("Limit 20MB per file"): 1024 x 1024 only on
# Windows, where its server's own check (MB x 1024 x 1024) lets the file through and the page refuses it in its own
# sentence. Every upload limit is stated and enforced in that MB: a file one byte under a stated limit is accepted
# everywhere, one byte over is refused (tests/app/test_upload_limits.py).
MB = 10**6

# ---------------------------------------------------------------- images and masks (one cap for both)
# A file the browser may send. Streamlit reads its own cap only from .streamlit/config.toml (server.maxUploadSize):
# that figure is a copy of this one, and a test holds them equal.
UPLOAD_MAX_MB = 20
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * MB
# Decoded pixels of the first frame, read from the header. 10 megapixels holds a 4K screenshot (8.3) and costs
# at most 40 MB decoded (RGBA), twice that while PIL shrinks it (it premultiplies alpha in a copy); JPEGs are
# decoded at 1/2-1/8 scale first (their DCT allows it for free), so a 48-megapixel phone photo still fits.
IMAGE_MAX_PIXELS = 10_000_000
# Text metadata (PNG tEXt/zTXt/iTXt, summed over chunks): real files carry a few kB.
IMAGE_MAX_TEXT_BYTES = MB
# Every image or mask becomes 28-64 pixels a side: it is shrunk (area average) to this longer side before any
# float copy is made, so the float work is a few MB whatever the upload's size.
IMAGE_WORK_SIDE = 512
# Only the first frame of an animation (GIF, APNG, WebP) is ever decoded; later frames cost nothing.
# The drawing canvas's value is a PNG data URL the browser sends: held to the bytes and pixels above, read from
# its header before it is decoded (a modified browser can send any picture, or anything else).

# ---------------------------------------------------------------- tables
# A table's own cap, below the server's 20 MB: the page keeps 5,000 rows at most (a 5 MB file holds some 100,000
# rows of five numbers), and receiving a 20 MB body costs Streamlit itself about 0.2 s of a one-core server, 1.67x
# another student's page load (bench hostile_inputs). The uploader refuses a larger file in the browser.
TABLE_MAX_MB = 5  # the table uploader's max_upload_size
TABLE_MAX_BYTES = TABLE_MAX_MB * MB
TABLE_MAX_COLUMNS = 30  # as many as the widest UCI table (breast); the tiny training's cost grows with them
TABLE_MAX_CELL_CHARS = 200  # a number or a column name; longer cells are refused, and echoed shortened
TABLE_MAX_ROWS = 5_000  # the interactive budget (the largest UCI table has 4,898): larger uploads are subsampled
TABLE_SUBSAMPLE_SEED = 0
TABLE_MIN_ROWS = 10  # complete rows needed to simulate missingness and score imputations
# The separator is guessed from the first lines of this prefix, by counting (linear); csv.Sniffer grows
# quadratically with its sample (64 kB: minutes of one core, the interpreter lock held throughout).
TABLE_SNIFF_BYTES = 64 * 1024
TABLE_SNIFF_LINES = 50
BASELINE_MAX_ROWS = 5_000  # kNN and MICE learn from at most this many rows (a seeded sample), then fill every row
# importance samples x rows x features held at once by the tabular imputation: every UCI table at every preset
# fits in one block as before; a wide upload is imputed in smaller blocks
IMPUTE_BLOCK_ELEMENTS = 6_000_000
BASELINE_WORKING_MB = 64  # scikit-learn's chunk size for kNN's distance matrix (its default is 1 GB)

# ---------------------------------------------------------------- what the worst input may cost
# CPU seconds one visitor's input may cost its parser, at any size up to its cap, accepted or refused.
PARSE_CPU_S = 2.0
# The extra peak RSS one upload may add to the server process while it is converted (tests and the
# hostile-inputs benchmark hold the converters to it).
UPLOAD_PEAK_MB = 100

MESSAGE_MAX_CHARS = 200  # a refusal is one sentence of at most this many characters
ECHO_CHARS = 40  # a user's value quoted in a message is shortened to this many characters


def shorten(value: object, n: int = ECHO_CHARS) -> str:
    """A user's value as a message may quote it: on one line (a newline, a tab or another unprintable character
    written as its escape, ``\\n``), at most ``n`` characters, an ellipsis where cut."""
    s = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return s if len(s) <= n else s[:n - 1] + "…"


def megabytes(n: int) -> str:
    """Bytes as every limit and refusal says them, in the units of Streamlit's uploader (``MB``: its "Limit 20MB per
    file" is 20,000,000 bytes): '20 MB', '5.2 MB', '154 kB'. One figure per limit, said the same way everywhere."""
    if n >= MB:
        return f"{n / MB:.1f}".removesuffix(".0") + " MB"
    return f"{max(n / 1000, 0.1):.0f} kB" if n >= 1000 else f"{n} bytes"

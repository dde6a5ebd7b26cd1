"""What one visitor's input may cost the shared server: every limit on an input, in one place.

Each limit is checked before the work it bounds: an image's size from its header before a pixel is
decoded (uploads and the drawing canvas alike), a table's bytes, columns and cell lengths before it is
parsed, a deck's bytes and nesting before its JSON is read. What lies beyond is refused with the numbers,
in one sentence; a table with more rows than the interactive budget is subsampled (with a fixed seed, and
the page says so). Every parser's cost grows at most linearly with its input, so the caps below bound its
time as well as its memory (PARSE_CPU_S, UPLOAD_PEAK_MB). The pages state these limits on their upload
widgets, in the words of ``megabytes``, and ``benchmarks/hostile_inputs.py`` measures what the worst
accepted or refused input costs.
"""
from __future__ import annotations

# ---------------------------------------------------------------- images and masks (one cap for both)
# A file the browser may send. Streamlit reads its own cap only from .streamlit/config.toml (server.maxUploadSize, in
# its MB of 1024 x 1024 bytes): that figure is a copy of this one, and a test holds them equal.
UPLOAD_MAX_MB = 20
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024
# Decoded pixels of the first frame, read from the header. 10 megapixels holds a 4K screenshot (8.3) and costs
# at most 40 MB decoded (RGBA), twice that while PIL shrinks it (it premultiplies alpha in a copy); JPEGs are
# decoded at 1/2-1/8 scale first (their DCT allows it for free), so a 48-megapixel phone photo still fits.
IMAGE_MAX_PIXELS = 10_000_000
# Text metadata (PNG tEXt/zTXt/iTXt, summed over chunks): real files carry a few kB.
IMAGE_MAX_TEXT_BYTES = 1024 * 1024
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
TABLE_MAX_BYTES = 5 * 1024 * 1024
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

# ---------------------------------------------------------------- lecture decks (a file, or a link that carries one)
DECK_MAX_BYTES = 100_000  # a deck's JSON; the shipped 20-step lecture is 7 kB
DECK_MAX_STEPS = 100
DECK_MAX_DEPTH = 6  # nesting of its JSON: the deck, its steps, a step, its controls (4); deeper is refused unread
DECK_MAX_LINK_CHARS = 8000  # a deck carried in a link (nginx's default header buffer is 8 KB)
DECK_MAX_QUESTION = 300  # a step's question, asked before its view answers it

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
    """Bytes as every limit and refusal says them, in the units of Streamlit's uploader (its "Limit 20MB per file"
    is 20 x 1024 x 1024 bytes): '20 MB', '5.2 MB', '154 kB'. One figure per limit, said the same way everywhere."""
    if n >= 1024 * 1024:
        return f"{n / 1024 ** 2:.1f}".removesuffix(".0") + " MB"
    return f"{max(n / 1024, 0.1):.0f} kB" if n >= 1024 else f"{n} bytes"

# ---------------------------------------------------------------- the server's own work, batched
# Inpainting Runs on the server (a browser without WebAssembly) waiting for the same model and settings run their
# chains as one batch (dgm_core.serving.Batch). The rule: the largest batch whose run takes at most twice as long as
# one image alone, so the first student in a batch waits at most twice as long and the others far less than in turn
# (`python -m dgm_core bench inpainting_batch`, benchmarks/results/inpainting_batch.json: MNIST's defaults, 4 images
# 1.24x one image's time, 8 images 2.19x; 4 together take 3.2x less time than one after another).
INPAINT_BATCH = 4

# ---------------------------------------------------------------- a class poll (dgm_core/serving/poll.py)
# Every request a phone or a presenter sends to the poll routes: one body, one JSON object, at most 1 kB (an answer
# is about 100 bytes; a question with eight options of 80 characters fits).
POLL_BODY_MAX_BYTES = 1024
POLL_ROOM_TTL_S = 24 * 3600  # a room, its questions and its answers are purged a day after it was opened
POLL_MAX_ROOMS = 500  # rooms alive at once on one host; a new one past it is refused
POLL_MAX_QUESTIONS = 200  # per room: a lecture's every step, several times over
POLL_MAX_OPTIONS = 10  # "which digit is it?" has ten
POLL_TEXT_MAX_CHARS = 300  # a question's prompt; an option or a unit is at most 80
POLL_OPTION_MAX_CHARS = 80
POLL_MAX_ROUNDS = 2  # the question, then once more after "discuss with your neighbour"
POLL_COUNTDOWN_MAX_S = 600
POLL_WAIT_MAX_S = 25.0  # a phone's long poll of the state route is answered at the latest after this
# Rate limits (token buckets held by each server process): (burst, refill per second).
# One phone may change its answer a few times; one address (a class behind one NAT: 300 phones answering within
# 10 s) may send hundreds; one address may open a few rooms an hour.
POLL_TOKEN_RATE = (10, 1.0)
POLL_ADDRESS_RATE = (600, 30.0)
POLL_ROOM_RATE = (20, 1 / 180)

# ---------------------------------------------------------------- what a visitor's browser sends back
# The only large websocket messages are the inpainting page's own Runs, computed in the visitor's browser and sent back
# by its panel (the other panels send a few kB; uploads come over HTTP). dgm_core.serving.border checks an answer
# against the job the server sent before a byte of it is decoded: every array must hold exactly the values the job
# implies, so a job's budget is its own size, ``border.budget``: its arrays as the panel encodes them (base64, 4
# characters per 3 bytes, plus TYPED_ARRAY_CHARS each), JSON_NUMBER_CHARS per number (the longest a JSON number takes,
# "-2.2250738585072014e-308", counted for every number, so the size is an upper bound) and RESULT_TEXT_CHARS per
# method for its keys, short texts and scalars.
JSON_NUMBER_CHARS = 24
TYPED_ARRAY_CHARS = 16  # {"f32": "..."} around the base64
RESULT_TEXT_CHARS = 2048
# Streamlit's server.maxMessageSize, in its MB of 10**6 bytes (read only from .streamlit/config.toml, where this figure
# is copied; a test holds them equal). A larger frame from a browser is refused from its header, before it is buffered,
# and the connection closed; the server's own messages are held to it too (the largest, a default CelebA Run's results
# view with its chain player, is 0.4 MB: every page's default view and that view under AppTest, each message's size).
# Measured (`python -m dgm_core bench browser_inpaint`: answer_mb): a full default Run in chromium's worker on the
# largest images, CelebA, every default method (the chains, MIWAE, DMFA, MFA, the neighbour fill), sends its answer as
# 1.0 MB of JSON, the chains' snapshots and traced pixels staying in the browser (5.16 MB with them); on MNIST, 0.33 MB
# (1.80). The cap is over four times what it took with them, so a Run with longer or more chains than the defaults
# still fits.
MESSAGE_MAX_MB = 20
# What a Run's answer may take of it: half, the other half left for the page's other widgets' states in the same
# frame (a drawn image's data URL). A Run whose budget is larger (its per-step traces grow as steps x chains: 5000
# steps of 64 chains would send 117 MB) runs on the server instead, and the page says why in one sentence.
BROWSER_ANSWER_MAX_CHARS = MESSAGE_MAX_MB * 10**6 // 2

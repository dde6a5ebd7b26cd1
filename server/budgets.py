"""What one visitor may cost the shared server beyond the maths' own inputs: a lecture deck, a class poll's requests,
the answer a visitor's browser sends back. The limits on the core's inputs (images, masks, tables) and the way a
refusal quotes a value live in ``dgm_core.budgets``; they are named here too, so a server module reads every limit it
enforces from this one module.
"""
from __future__ import annotations

from dgm_core.budgets import (MB, ECHO_CHARS, MESSAGE_MAX_CHARS, PARSE_CPU_S, UPLOAD_MAX_BYTES, UPLOAD_MAX_MB,  # noqa: F401
                              UPLOAD_PEAK_MB, megabytes, shorten)

# ---------------------------------------------------------------- lecture decks (a file, or a link that carries one)
DECK_MAX_BYTES = 100_000  # a deck's JSON; the shipped 20-step lecture is 7 kB
DECK_MAX_STEPS = 100
DECK_MAX_DEPTH = 6  # nesting of its JSON: the deck, its steps, a step, its controls (4); deeper is refused unread
DECK_MAX_LINK_CHARS = 8000  # a deck carried in a link (nginx's default header buffer is 8 KB)
DECK_MAX_QUESTION = 300  # a step's question, asked before its view answers it
# Saves of a deck behind a short link (server.saved_decks), each when the lecturer presses Save: token buckets
# (burst, refill per second) held by each server process. A lecturer saves a few versions in a lesson; an address
# (a department behind one NAT) a few dozen.
DECK_SAVE_SESSION_RATE = (10, 1 / 60)
DECK_SAVE_ADDRESS_RATE = (60, 1 / 20)

# ---------------------------------------------------------------- the server's own work, batched
# Inpainting Runs on the server (a browser without WebAssembly) waiting for the same model and settings run their
# chains as one batch (server.Batch). The rule: the largest batch whose run takes at most twice as long as
# one image alone, so the first student in a batch waits at most twice as long and the others far less than in turn
# (`python -m dgm_core bench inpainting_batch`, benchmarks/results/inpainting_batch.json: MNIST's defaults, 4 images
# 1.24x one image's time, 8 images 2.19x; 4 together take 3.2x less time than one after another).
INPAINT_BATCH = 4

# ---------------------------------------------------------------- a class poll (server/poll.py)
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
# A phone's run of the class's own experiment (server/class_runs.py): its mask and two mean fills as numbers, at most
# 64 kB (an MNIST digit's, rounded to 3 decimals as the class page sends them: about 10 kB; unrounded, or a 3x32x32
# image's rounded: under 40 kB). A step keeps at most this many runs (one a phone: a large lecture hall, several times).
POLL_RUN_MAX_BYTES = 64 * 1024
RUNS_MAX_PER_STEP = 2000
POLL_WAIT_MAX_S = 25.0  # a phone's long poll of the state route is answered at the latest after this
# Rate limits (token buckets held by each server process): (burst, refill per second).
# One phone may change its answer a few times; one address (a class behind one NAT: 300 phones answering within
# 10 s) may send hundreds; one address may open a few rooms an hour.
POLL_TOKEN_RATE = (10, 1.0)
POLL_ADDRESS_RATE = (600, 30.0)
POLL_ROOM_RATE = (20, 1 / 180)
# A phone's join (the server names it: server/tokens.py): 300 phones of a class behind one address join at once
# (a phone refused retries a second later, so a class larger still passes within a minute).
POLL_JOIN_RATE = (300, 5.0)
# Room codes looked up in vain, per address: a typo or two, never a search of the codes (600 guesses in a few seconds
# meet a 429 after the first 20; while this address's bucket is empty, a look-up is refused before it is made, so a
# hit is not told apart from a miss).
POLL_MISS_RATE = (20, 0.2)
# A lecture (server/rooms.py): its room follows the lecturer's step; it expires this long after the lecturer last
# moved it (a lecture, its break and the questions after), and with its room a day after it opened at the latest.
LECTURE_IDLE_TTL_S = 4 * 3600

# ---------------------------------------------------------------- what a visitor's browser sends back
# The only large websocket messages are the inpainting page's own Runs, computed in the visitor's browser and sent back
# by its panel (the other panels send a few kB; uploads come over HTTP). server.border checks an answer
# against the job the server sent before a byte of it is decoded: every array must hold exactly the values the job
# implies, so a job's budget is its own size, ``border.budget``: its arrays as the panel encodes them (base64, 4
# characters per 3 bytes, plus TYPED_ARRAY_CHARS each), JSON_NUMBER_CHARS per number (the longest a JSON number takes,
# "-2.2250738585072014e-308", counted for every number, so the size is an upper bound) and RESULT_TEXT_CHARS per
# method for its keys, short texts and scalars.
JSON_NUMBER_CHARS = 24
# Any widget's state as JSON (server.widget_states): the deepest a page's takes is the inpainting panel's error record
# and a chart's selection (a few levels; the panel's answer travels as one JSON text); past this, it is refused before
# Streamlit decodes it (Python's json recurses, and fails about 1,000 levels down)
WIDGET_STATE_MAX_DEPTH = 32
# A Run's time as its browser reports it (the whole job's, and each method's): a default Run takes seconds, the
# longest settings minutes; a page left computing overnight is still less than a day. More is no genuine answer.
BROWSER_RUN_MAX_S = 24 * 3600.0
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

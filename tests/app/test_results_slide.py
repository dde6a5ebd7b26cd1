"""The lecture's results slide (view ``results.table``): each paper's first published figure beside ours, each row
with its one line on why the two differ, no cell reading "-0", in text sized to the stage.

- ``number``: a value that rounds to zero reads "0" (closed form: IEEE -0.0 and what rounds to it).
- Every section with a published (or true) figure has a filled one-line ``gap`` in ``benchmarks/published.json``.
- The shipped step presented at 1280x720 (AppTest's window): one row per such section, its cells the row's figures,
  its gap line under it, every number on the slide a number of a file, no "-0", the font the stage's.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from dgm_core.demos import results as demo
from tests.app import open_page
from tests.app.test_results import source_numbers
from tests.test_readme import _found, _numbers
from ui import results_view as view
from ui.slides import stage_of

STEP = 23  # the lecture deck's results step
GAP_CHARS = 150  # a gap line stays one line of the slide at 1280x720 (its text is 0.72 of the table's)
MINUS_ZERO = re.compile(r"(?<![\w.])[-−]0(?:\.0*)?(?![\w.])")  # "-0", "−0", "-0.00" as a whole number


@pytest.mark.parametrize("value,shown", [(-0.0, "0"), (0.0, "0"), (round(-0.00001, 4), "0"), (-1e-5, "−1e-05"),
                                         (-166.0, "−166"), (-70.78, "−70.78"), (1.23333, "1.233"), (2.0, "2")])
def test_a_value_that_rounds_to_zero_reads_zero_never_minus_zero(value, shown):
    assert view.number(value) == shown
    assert not MINUS_ZERO.search(view.number(value))


def test_the_minus_zero_check_sees_a_minus_zero():
    """The slide test below reads every cell with this pattern: it must catch what the issue saw."""
    assert all(MINUS_ZERO.search(t) for t in ("-0", "−0", "0 and −0.00", "−0 ± 1"))
    assert not any(MINUS_ZERO.search(t) for t in ("0", "−0.5", "−70.78", "1e-05", "−1e-05", "10"))


def headlined() -> list[demo.Section]:
    return [s for s in demo.sections() if s.headline is not None]


def test_every_row_of_the_slide_has_its_gap_line():
    secs = headlined()
    assert len(secs) >= 4  # MIWAE, DMFA, not-MIWAE, VAE (and the critics' true value)
    for sec in secs:
        assert sec.gap and "\n" not in sec.gap and len(sec.gap) <= GAP_CHARS, (sec.key, sec.gap)
        assert "{" not in sec.gap, f"{sec.key}: a fact of its gap line was not filled: {sec.gap}"
        if sec.reference == "published":  # a published figure: how theirs and ours were measured
            assert sec.gap.startswith("theirs: ") and "; ours: " in sec.gap, sec.key


class _Table(HTMLParser):
    """The slide's table as rows of (class, [cell texts])."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self.font = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "res-slide" in (a.get("class") or ""):
            self.font = a.get("style", "")
        elif tag == "tr" and a.get("class"):
            self.rows.append((a["class"], []))
        elif tag == "td" and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def slide() -> _Table:
    at = open_page("results", "", timeout=300, deck="lecture", step=STEP, present=1)
    assert not at.exception, at.exception
    table = _Table()
    for h in at.html:
        table.feed(h.proto.body)
    assert table.rows, "the results step drew no table"
    return table


def test_the_slide_puts_each_papers_figure_beside_the_published_one_and_says_why_they_differ(slide):
    secs = headlined()
    kinds = [kind for kind, _ in slide.rows]
    assert kinds == ["res-pair", "res-gap"] * len(secs)  # a gap line under every row
    values = source_numbers()
    for sec, (_, pair), (_, gap) in zip(secs, slide.rows[::2], slide.rows[1::2]):
        r = sec.headline
        assert r.id in pair[0], (sec.key, pair[0])
        for cell, value, spread in ((pair[1], r.ours, r.spread), (pair[2], r.published, r.published_spread)):
            assert not MINUS_ZERO.search(cell), f"{sec.key}: a cell reads {cell!r}"
            figures = _numbers(cell)
            assert figures[0][1] - figures[0][2] <= value <= figures[0][1] + figures[0][2], (sec.key, cell, value)
            assert (len(figures) > 1) is bool(spread), (sec.key, cell)
        assert gap == [sec.gap] and sec.gap, sec.key  # its own line, not empty
        said = [w[0] for text in (*pair, *gap) for w in _numbers(text) if not _found(w, values)]
        assert not said, f"{sec.key}: {said} on the slide are in no file the page reads"


def test_the_slides_text_is_sized_to_fill_the_stage(slide):
    n = len(headlined())
    small, large = stage_of(None), stage_of({"w": 1920, "h": 1080})  # AppTest's window is the 1280x720 projector
    assert f"font-size:{view.slide_px(small, n):.0f}px" in slide.font
    for stage in (small, large):  # the measured height of the table in ems, at the font it gets
        assert view.slide_px(stage, n) * (view.SLIDE_EM[0] + view.SLIDE_EM[1] * n) >= 0.5 * stage.height
    assert view.slide_px(large, n) > 1.4 * view.slide_px(small, n)

"""The results page under AppTest, with and without DGM_DATA_DIR: every figure it shows equals its file.

- Tables: each row (indexed by its id) holds ours / ± / published / ± as numbers; each equals the value
  at the row's place in its file, read here with json alone, and the page shows every row and no other.
- Text (markdown, captions, notes): every number outside backticks is a number of a file the page reads
  (or a setting of the small rerun), at the precision written (the rule of tests/test_readme.py).
- Plots: every plotted y (or x of the dot plot) is a figure of the page's rows.
- Slides: every measured section draws its chart; each published marker drawn equals its file's figure and
  its hover names the source; a section with no published figure says so in one line; the long texts
  (published figures, protocol, differences) are folded in an expander, the command is not.
- WGAN: its section shows figures when its file exists and says "not measured yet" when it does not.
"""
from __future__ import annotations

import json
import math
import os
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dgm_core.demos import results as demo
from tests.dgm_core.test_results import resolve
from tests.test_readme import _found, _numbers, _source_values

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "results.py")
DATA = os.environ.get("DGM_DATA_DIR")
OURS = ("ours", "where", "source")
REFERENCE = ("published", "published_where", "published_source")  # the column is named by the section


def file_value(path: str, where) -> float:
    return resolve(json.loads((ROOT / path).read_text()), where)


def same(shown, expected) -> bool:
    """Equal, with an empty cell for None and NaN equal to NaN (a file may hold NaN)."""
    def missing(v) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))
    return missing(shown) if missing(expected) else shown == expected


def source_numbers() -> set[Decimal]:
    values: set[Decimal] = set()
    for f in [ROOT / demo.PUBLISHED, *ROOT.glob("benchmarks/results/*.json"), *ROOT.glob("pretrained/*.json")]:
        values |= _source_values(f)[0]
    # the small rerun's own settings, which the page states
    values |= {Decimal(v) for v in (demo.SMALL_IMAGES, demo.SMALL_SEED, demo.SMALL_MIWAE_SAMPLES)}
    return values


def page_text(at: AppTest) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "info", "warning", "error", "subheader", "header", "title")
            for e in at.get(kind)]


def run_page(monkeypatch, data: bool) -> AppTest:
    if data:
        monkeypatch.setenv("DGM_DATA_DIR", DATA)
    else:
        monkeypatch.delenv("DGM_DATA_DIR", raising=False)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def check_tables(at: AppTest, rows: list[demo.Row]) -> int:
    """Every row of every table on the page equals its file; returns how many figures were compared."""
    by_id = {r.id: r for r in rows}
    shown, compared = set(), 0
    for df in (d.value for d in at.dataframe):
        # ours, ± ours, then the reference column ("published", "true value"), its ±, the sources
        reference = [c for c in df.columns[1:] if not c.startswith("± ") and "source" not in c]
        columns = {"ours": OURS, **({reference[0]: REFERENCE} if reference else {})}
        for rid, line in df.iterrows():
            assert rid in by_id, f"{rid!r} on the page is no row of dgm_core.demos.results"
            shown.add(rid)
            r = by_id[rid]
            for column, (_attr, where, source) in columns.items():
                if column in df.columns and getattr(r, where) is not None:
                    expected = file_value(getattr(r, source), getattr(r, where))
                    assert same(line[column], expected), f"{rid}: {column} shows {line[column]}, the file {expected}"
                    compared += 1
            if "± ours" in df.columns:
                assert same(line["± ours"], r.spread), rid
    assert shown == set(by_id), f"rows missing from the page: {sorted(set(by_id) - shown)[:5]}"
    return compared


def check_text(at: AppTest) -> None:
    import re

    values = source_numbers()
    for text in page_text(at):
        bare = re.sub(r"`[^`]*`", " ", re.sub(r"\(#[\w-]+\)|<div[^>]*></div>", " ", text))
        missing = [w[0] for w in _numbers(bare) if not _found(w, values)]
        assert not missing, f"numbers {missing} in {text[:120]!r} are in no file the page reads"


def check_plots(at: AppTest, rows: list[demo.Row]) -> None:
    figures = {v for r in rows for v in (r.ours, r.published, r.x) if v is not None}
    charts = at.get("plotly_chart")
    assert len(charts) == len({r.section for r in rows})  # one per section with figures
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        for trace in spec["data"]:
            axis = "x" if trace.get("orientation") == "h" or isinstance((trace.get("y") or [0])[0], str) else "y"
            for v in trace.get(axis) or []:
                if v is not None:
                    assert v in figures, f"plotted {v} is not a figure of the page ({trace.get('name')})"


@pytest.mark.parametrize("with_data", [False, pytest.param(True, marks=pytest.mark.skipif(
    not DATA, reason="DGM_DATA_DIR is not set"))], ids=["without data", "with data"])
def test_every_figure_on_the_page_equals_its_file(monkeypatch, with_data):
    at = run_page(monkeypatch, with_data)
    secs = demo.sections()
    rows = [r for s in secs for r in s.rows]
    assert check_tables(at, rows) > 200
    check_text(at)
    check_plots(at, rows)
    assert [h.value for h in at.header] == [s.title for s in secs]
    button = at.button(key="res_rerun")
    assert button.disabled is (not with_data)
    if not with_data:
        assert any("DGM_DATA_DIR" in i.value for i in at.info)


NO_PUBLISHED = "No verified published figure exists for this;"


def slides(at: AppTest) -> dict[str, dict[str, list]]:
    """Each section's elements, by section key: ``slide`` what shows unfolded, ``folded`` what is in an expander."""
    keys = {s.title: s.key for s in demo.sections()}

    def walk(node, folded: bool = False):
        for child in node.children.values():
            inside = folded or child.type == "expander"
            yield child, inside
            if hasattr(child, "children"):
                yield from walk(child, inside)

    out: dict[str, dict[str, list]] = {}
    current = None
    for node, folded in walk(at.main):
        if node.type == "header":
            current = out.setdefault(keys[node.value], {"slide": [], "folded": []})
        elif current is not None:
            current["folded" if folded else "slide"].append(node)
    return out


def texts(nodes: list) -> list[str]:
    return [n.value for n in nodes if n.type in ("markdown", "caption", "info")]


def charts(nodes: list) -> list[dict]:
    return [json.loads(n.proto.spec) for n in nodes if n.type == "plotly_chart"]


PUBLISHED_TRACE = ("paper", "reference", "authors' repository")  # what a published marker's legend says


def published_traces(spec: dict) -> list[dict]:
    return [t for t in spec["data"] if any(w in (t.get("name") or "") for w in PUBLISHED_TRACE)]


@pytest.fixture(scope="module")
def slide_page():
    """The page without data, run once for the slide tests."""
    with pytest.MonkeyPatch.context() as mp:
        yield slides(run_page(mp, False))


def test_every_measured_section_draws_its_chart_on_its_slide(slide_page):
    by_key = slide_page
    for sec in demo.sections():
        drawn = charts(by_key[sec.key]["slide"])
        if sec.measured and sec.rows:
            assert len(drawn) == 1 and drawn[0]["layout"]["meta"] == sec.key, sec.key
            assert any(t.get("y") or t.get("x") for t in drawn[0]["data"]), sec.key
        else:
            assert not drawn, sec.key


def test_each_drawn_published_figure_equals_its_file_and_names_its_source(slide_page):
    by_key = slide_page
    drawn_in = set()
    for sec in demo.sections():
        (spec,) = charts(by_key[sec.key]["slide"]) or [{"data": []}]
        published = [r for r in (*sec.rows, *sec.related) if r.published is not None]  # related: drawn beside
        n = 0
        for trace in published_traces(spec):
            value_axis = "x" if isinstance(trace["y"][0], str) else "y"
            at_axis = "y" if value_axis == "x" else "x"
            assert trace["hovertext"] == [sec.cite] * len(trace[value_axis]) and sec.cite, (sec.key, trace["name"])
            for where, value in zip(trace[at_axis], trace[value_axis]):
                # the row drawn here: same place on the plot (a data set, a method, a hole) and the same figure
                found = [r for r in published if where in r.id.split(" · ") and r.published == value]
                assert found, f"{sec.key}: {trace['name']} draws {value} at {where}, no published figure of its rows"
                for row in found:  # one figure may stand for a table's row at several run lengths
                    assert value == file_value(row.published_source, row.published_where), row.id
                n += 1
        if sec.key in ("miwae", "vae"):  # every published figure of theirs is drawn, nothing else
            assert n == len([r for r in sec.rows if r.published is not None]) > 0, sec.key
        if n:
            drawn_in.add(sec.key)
    assert drawn_in == {s.key for s in demo.sections() if s.has_published}


def test_a_section_without_a_published_figure_says_so_in_one_line(slide_page):
    by_key = slide_page
    for sec in demo.sections():
        if not sec.measured:
            continue
        slide, folded = texts(by_key[sec.key]["slide"]), texts(by_key[sec.key]["folded"])
        said = [t for t in slide if t == sec.published_short]
        assert len(said) == 1 and "\n" not in said[0] and len(said[0]) <= 200, sec.key
        assert said[0].startswith(NO_PUBLISHED) is not sec.has_published, sec.key
        if not sec.has_published:
            assert not any(published_traces(c) for c in charts(by_key[sec.key]["slide"])), sec.key
        # the slide: where we differ in one sentence, the command; the long texts folded under it
        assert any(sec.gist in t for t in slide) and any(sec.command in t for t in slide), sec.key
        for long in (sec.published, sec.protocol, sec.differences):
            assert any(long in t for t in folded) and not any(long in t for t in slide), (sec.key, long[:40])


def test_the_wgan_section_follows_its_files(monkeypatch):
    """Each WGAN / critics file is shown once it exists; one not written yet is named as not measured."""
    at = run_page(monkeypatch, False)
    patterns = json.loads((ROOT / demo.PUBLISHED).read_text())["sections"]["wgan"]["files"]
    missing = [p for p in patterns if not any(ROOT.glob(p))]
    not_yet = [i.value for i in at.info if i.value.startswith("Not measured yet")]
    wgan = next(s for s in demo.sections() if s.key == "wgan")
    if len(missing) == len(patterns):
        assert not wgan.measured and len(not_yet) == 1 and all(p in not_yet[0] for p in patterns)
    else:
        assert wgan.measured and wgan.rows and wgan.missing == missing
        assert sorted(not_yet) == sorted(f"Not measured yet: `{p}`." for p in missing)


@pytest.mark.slow
@pytest.mark.skipif(not DATA, reason="the small rerun needs MNIST (set DGM_DATA_DIR)")
def test_the_small_rerun_shows_its_figure_next_to_the_shipped_one(monkeypatch):
    at = run_page(monkeypatch, True)
    n_tables = len(at.dataframe)
    at.button(key="res_rerun").click().run(timeout=600)  # seconds when idle; minutes on a shared, busy machine
    assert not at.exception, at.exception
    assert len(at.dataframe) == n_tables + 1
    fresh = next(d.value for d in at.dataframe if "this run" in d.value.columns)
    methods = ("pseudo-Gibbs", "MWG hmc", "MIWAE-IS")
    assert set(fresh.index) == {f"MNIST · {demo.SMALL_MASK} · {m} · F1" for m in methods}
    records = json.loads((ROOT / "benchmarks/results/inpainting.json").read_text())["records"]
    for rid, line in fresh.iterrows():
        method = rid.split(" · ")[2]
        (rec,) = [r for r in records if r["dataset"] == "mnist" and r["mask"] == demo.SMALL_MASK
                  and r["method"] == method and r["warm_start"] in (None, 0)]
        assert line["shipped"] == rec["score_mean"] and line["± shipped"] == rec["score_se"]
        assert 0 < line["this run"] <= 1
    # a second session asking for the same rerun is shown the first one's, computed once on this server
    assert any(c.value.startswith(("Computed in ", "Shared: computed")) for c in at.caption)
    other = run_page(monkeypatch, True)
    other.button(key="res_rerun").click().run(timeout=600)
    assert not other.exception, other.exception
    assert any(c.value.startswith("Shared: computed") and "for another session" in c.value for c in other.caption)
    assert next(d.value for d in other.dataframe if "this run" in d.value.columns).equals(fresh)


def test_a_sections_figure_is_built_once_per_server_and_anew_when_its_file_changes():
    """Every view of the page sends the same figure object (built and styled once: with a class on the server,
    building them was most of the page's cost); a rerun benchmark (a newer file) makes a new one."""
    from ui import plots, results_view as view
    sec = next(s for s in demo.sections() if s.key == "dmfa")
    first = view._figure(sec.key, view._stamp(sec.files), sec)
    assert view._figure(sec.key, view._stamp(sec.files), sec) is first and plots.readable(first) is first
    path = ROOT / sec.files[0]
    was = path.stat()
    try:
        os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns + 1000))
        assert view._figure(sec.key, view._stamp(sec.files), sec) is not first
    finally:
        os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))


def test_the_clusters_variants_keep_legible_titles_six_to_a_row():
    """VAE + GMM draws a panel per variant: up to six side by side, more in more rows; a variant's title is its
    label's parts, a line each, the long ones shortened (a t-SNE start reads as such, not as a cut-off sentence)."""
    from ui import results_view

    sec = next(s for s in demo.sections() if s.key == "vae_gmm")
    fig = results_view.accuracy_per_round(sec)
    titles = [a.text for a in fig.layout.annotations]
    panels = len([f for f in sec.panels if any(r.source == f for r in sec.rows if r.x is not None)])
    assert len(titles) == panels > results_view.MAX_PANELS_IN_A_ROW
    domains = {round(fig.layout[k].domain[0], 3) for k in fig.layout if k.startswith("yaxis")}
    assert len(domains) == -(-panels // 6), domains  # six to a row
    assert len({round(fig.layout[k].domain[1], 3) for k in fig.layout if k.startswith("xaxis")}) <= 6
    assert "784-512-512-12 VAE<br>t-SNE start kept<br>then t-SNE, kept<br>shipped" in titles, titles
    assert "784-512-512-12 VAE<br>t-SNE start<br>previous clusters" in titles, titles
    assert "784-512-512-12 VAE<br>k-means start<br>previous clusters" in titles, titles
    assert all(len(line) <= 20 for t in titles for line in t.split("<br>")), titles

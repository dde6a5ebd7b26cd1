"""The clusters page in chromium at 1280x720: both t-SNE maps draw, a box selection on the last round's
map shows those digits and lands in the URL, Clear empties it (text, URL and box) for good, and every tab opens;
a box on either round's map lights up the same digits on the other."""
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from .conftest import ROOT, box_select, wait_for_app


def _open(page, app_url):
    """The page at 1280x720 with its two maps drawn -> their plots."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/clusters")
    wait_for_app(page, timeout=120_000)
    plots = page.locator(".js-plotly-plot")
    expect(plots).to_have_count(2, timeout=60_000)
    return plots


def test_box_selection_shows_digits_and_tabs_open(page, app_url):
    plots = _open(page, app_url)
    plot = plots.nth(1)
    box_select(page, plot, 0.2, 0.8)
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("selected", exact=False).first).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"cl_sel=[0-9]"), timeout=30_000)
    page.get_by_role("button", name="Clear the selection").click()
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("selected", exact=False)).to_have_count(0, timeout=30_000)
    expect(page).not_to_have_url(re.compile(r"cl_sel=[0-9]"), timeout=30_000)
    expect(plots.nth(1).locator(".selectionlayer path")).to_have_count(0, timeout=30_000)  # the box went with it
    page.get_by_text("true digit", exact=True).click()  # a rerun must not bring the chart's old selection back
    wait_for_app(page, timeout=60_000)
    expect(page.get_by_text("selected", exact=False)).to_have_count(0, timeout=10_000)
    expect(page).not_to_have_url(re.compile(r"cl_sel=[0-9]"), timeout=10_000)
    for tab in ("Confusion matrix", "Per round", "About t-SNE", "Cluster cards"):
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page, timeout=60_000)
        assert page.get_by_test_id("stException").count() == 0, tab
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "clusters.png"), full_page=True)


# per map, the rows (customdata) plotly draws selected, sorted; None where the map has no selection. The maps are
# looked up afresh on each call: a rerun may replace a plot's element (a handle taken before it is then empty), and
# a map caught between its data and its drawing counts as not (yet) selected.
HIGHLIGHTED_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => {
    let rows = null;
    if (!Array.isArray(el.data) || !Array.isArray(el._fullData)) return null;
    el.data.forEach((t, i) => {
        if (!Array.isArray(t.selectedpoints)) return;
        const full = el._fullData.find(f => f.index === i);
        if (!full || !full.customdata) return;
        const cd = full.customdata;
        rows = (rows || []).concat(t.selectedpoints.map(j => Number(cd[j])));
    });
    return rows && rows.sort((a, b) => a - b);
})"""


def _highlighted(page, timeout: float = 15) -> list:
    """Both maps' selected rows, once the page has redrawn them alike (or as they are when the time is up, for the
    assertions to name; ``timeout`` 0: as they are now)."""
    if timeout:
        alike = f"""() => {{ const got = ({HIGHLIGHTED_JS})();
            return got.length === 2 && got[0] !== null && JSON.stringify(got[0]) === JSON.stringify(got[1]); }}"""
        try:
            page.wait_for_function(alike, timeout=timeout * 1000)
        except PlaywrightTimeout:
            pass
    return page.evaluate(HIGHLIGHTED_JS)


def test_a_box_on_either_map_highlights_the_same_digits_on_the_other(page, app_url):
    plots = _open(page, app_url)
    n = page.evaluate("el => el._fullData.reduce((n, t) => n + t.x.length, 0)", plots.nth(0).element_handle())
    assert _highlighted(page, timeout=0) == [None, None]  # nothing selected yet
    seen = []
    for source, (lo, hi) in ((0, (0.3, 0.6)), (1, (0.45, 0.8))):  # round 0's map, then round 2's
        box_select(page, plots.nth(source), lo, hi)
        wait_for_app(page, timeout=60_000)
        rows = _highlighted(page)
        assert rows[0] and rows[1], f"a box on map {source}: highlighted {[r and len(r) for r in rows]}"
        assert rows[0] == rows[1], f"a box on map {source}: the maps highlight different digits"
        assert len(rows[0]) < n  # the rest are dimmed
        assert len(set(rows[0])) == len(rows[0])
        expect(page.get_by_text(f"{len(rows[0])} selected", exact=True)).to_be_visible(timeout=30_000)
        linked = [int(r) for r in re.search(r"cl_sel=([0-9,%C]+)", page.url).group(1).replace("%2C", ",").split(",")]
        assert set(linked) <= set(rows[0])  # the link keeps (some of) the same rows
        seen.append(rows[0])
    assert seen[0] != seen[1]  # the second box replaced the first on both maps
    assert page.get_by_test_id("stException").count() == 0

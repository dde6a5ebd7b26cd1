"""The inpainting page in chromium: draw a digit, paint a mask with the brush, run, see results."""
import re

import pytest
from playwright.sync_api import expect

from benchmarks.chain_play import WATCH  # the player's pictures, seen from outside (no hook in the page)

from .conftest import ROOT, wait_for_app

# true once the background canvas beside a drawable canvas (streamlit-drawable-canvas's dc-background-canvas, where it
# draws its background image once loaded) has a pixel that is not transparent
BACKGROUND_DRAWN = """top => {
    const bg = top.closest('.dc-container')?.querySelector('canvas.dc-background-canvas');
    if (!bg || !bg.width || !bg.height) return false;
    const px = bg.getContext('2d').getImageData(0, 0, bg.width, bg.height).data;
    for (let i = 3; i < px.length; i += 4) if (px[i]) return true;
    return false;
}"""


def _stroke(page, canvas, points):
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0] * box["width"], y0 + points[0][1] * box["height"])
    page.mouse.down()
    for px, py in points[1:]:
        page.mouse.move(x0 + px * box["width"], y0 + py * box["height"], steps=15)
    page.mouse.up()


def test_draw_image_and_mask_then_compare_methods(page, app_url):
    page.goto(f"{app_url}/inpainting?inp_src=Draw&inp_msrc=Draw"
              "&inp_methods=mwg,pseudo_gibbs,miwae,flow,neighbour_fill&inp_steps=100&inp_chains=8&inp_burn=20")
    wait_for_app(page)
    canvases = page.locator("canvas.upper-canvas")
    expect(canvases.first).to_be_visible(timeout=30_000)
    # 1. draw a digit "7" on the blank canvas
    _stroke(page, canvases.nth(0), [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
    wait_for_app(page)
    expect(page.get_by_text("your drawing").locator("visible=true").first).to_be_visible(timeout=30_000)
    # 2. paint over its lower half with the mask brush (the second canvas)
    expect(canvases).to_have_count(2, timeout=30_000)
    # the mask canvas shows the drawing as its background before it is painted on (its own canvas, drawn once loaded)
    page.wait_for_function(BACKGROUND_DRAWN, arg=canvases.nth(1).element_handle(), timeout=60_000)
    _stroke(page, canvases.nth(1), [(0.1, 0.6), (0.9, 0.6), (0.9, 0.8), (0.1, 0.8)])
    wait_for_app(page)
    expect(page.get_by_text("of pixels missing").locator("visible=true").first).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Run").click()
    wait_for_app(page, timeout=120_000)
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Inside the samplers")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("F1 (missing pixels)")
    # the student's own image and mask: every method ran in this browser, none on the server
    expect(page.get_by_text("Computed in this browser: MWG, Pseudo-Gibbs, MIWAE importance sampling, Flow, "
                            "Neighbour fill (")).to_be_visible()
    expect(page.get_by_text("Exact against approximate.", exact=False)).to_be_visible()
    expect(page.get_by_text("on the server:")).to_have_count(0)
    # the grid drawn by this browser from its own arrays: the original and the input, each method's fill and (not the
    # neighbour fill's, a point fill) its spread, and the spreads' colour scale
    grid = page.locator(".fg")
    expect(grid).to_have_attribute("data-state", "drawn")
    assert grid.locator(".cells canvas").count() == 2 + 2 * 4 + 1 and grid.locator(".scale canvas").count() == 1
    assert page.locator(".st-key-inp_grid").count() == 0  # not the server's pictures as well
    distinct = grid.locator(".cells canvas").nth(2).evaluate(
        "c => new Set(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).size")
    assert distinct > 2, "the exact sampler's fill is blank"
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 3800})  # the app scrolls inside its own container
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "inpainting.png"))


def _run_until_results(page, url: str) -> None:
    """Open the page at ``url``, press Run, wait for its results."""
    page.goto(url)
    wait_for_app(page)
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=120_000)
    wait_for_app(page, timeout=120_000)


def test_a_face_runs_every_method_here_dmfa_and_mfa_included(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    _run_until_results(page, f"{app_url}/inpainting?inp_ds=celeba&inp_preset=centre&inp_size=12&inp_mseed=3"
                             "&inp_methods=mwg,miwae,dmfa,mfa,neighbour_fill&inp_steps=40&inp_chains=2&inp_burn=10")
    expect(page.get_by_text("Computed in this browser: MWG, MIWAE importance sampling, DMFA, MFA")).to_be_visible()
    expect(page.get_by_text("on the server:")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("SSIM (whole image)")
    assert page.get_by_test_id("stException").count() == 0


def test_the_twisted_flow_filter_runs_in_the_browser_its_ess_live_then_charted(page, app_url):
    """The twisted particle filter in the visitor's browser beside the untwisted one on the server, on a phone:
    while it runs, the panel's line says its effective sample size step by step, wrapped, not cut off; then the
    page's chart draws both filters' ESS."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_url}/inpainting?inp_methods=flow_twisted,flow_smc&inp_parts=8")
    wait_for_app(page)
    page.get_by_role("button", name="Run").click()
    results, bar, seen = page.get_by_role("heading", name="Results"), page.locator(".bi .bar .text"), set()
    for _ in range(1200):  # two minutes at most, however loaded the machine
        if results.count():
            break
        if bar.count():
            seen.add(bar.first.text_content())
            if "effective sample size" in (bar.first.text_content() or ""):
                # the whole line is on the screen: the bar grows to hold it
                assert bar.first.evaluate("t => t.parentElement.scrollHeight <= t.parentElement.clientHeight + 1")
        page.wait_for_timeout(100)
    wait_for_app(page, timeout=120_000)
    live = [s for s in seen if re.search(r"effective sample size \d+\.\d of 8", s or "")]
    assert live, seen
    expect(page.get_by_text("Computed in this browser: Flow TDS (")).to_be_visible()
    expect(page.get_by_text("on the server: Flow SMC", exact=False)).to_be_visible()
    chart = page.get_by_text("The particle filters' effective sample size at each step")
    expect(chart).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    chart.scroll_into_view_if_needed()
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "inpainting_twisted_browser.png"))


def test_a_browser_without_webassembly_gets_the_servers_samplers_and_is_told(page, app_url):
    page.add_init_script("delete window.WebAssembly;")
    _run_until_results(page, f"{app_url}/inpainting?inp_preset=top&inp_mseed=5&inp_methods=pseudo_gibbs,"
                             "neighbour_fill&inp_steps=30&inp_chains=2&inp_burn=5")
    expect(page.get_by_text("could not run the samplers (no WebAssembly or Web Workers), so the server ran them")
           .first).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("Neighbour fill")
    expect(page.get_by_text("Computed in this browser")).to_have_count(0)


PLAYER = ".cp"


def test_play_runs_in_the_browser_moving_pictures_slider_and_marker_and_sends_nothing(page, app_url):
    """▶ Play animates the chains in the browser: the slider, the pictures and the traces' marker move together
    to the last iteration, then stop, with no message to the server; dragging the slider shows that iteration."""
    page.set_viewport_size({"width": 1280, "height": 720})
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    page.goto(f"{app_url}/inpainting?inp_methods=mwg,pseudo_gibbs&inp_steps=60&inp_chains=2&inp_burn=5&inp_warm=0")
    wait_for_app(page)
    page.get_by_role("button", name="Run").click()
    wait_for_app(page, timeout=120_000)
    player = page.locator(PLAYER)
    play = player.get_by_role("button", name="▶ Play")
    expect(play).to_be_visible(timeout=120_000)
    player.scroll_into_view_if_needed()
    assert player.get_attribute("data-step") == "1"
    pictures = player.locator("figure canvas")
    assert pictures.count() == 4  # chain 1 and the mean, of each sampler
    first = pictures.nth(0).evaluate("c => c.toDataURL()")
    marker = player.locator(".chart canvas").first.evaluate("c => c.toDataURL()")
    player.evaluate(WATCH)
    n_sent = len(sent)
    play.click()
    expect(player.get_by_role("button", name="▶ Play")).to_be_visible(timeout=30_000)  # it stops by itself
    draws = page.evaluate("() => document.chainDraws.slice()")
    assert [d[1] for d in draws][-1] == 60 and len(draws) >= 10, draws  # every snapshot to the last iteration
    assert player.get_by_role("slider").input_value() == str(len(draws))
    assert pictures.nth(0).evaluate("c => c.toDataURL()") != first, "the pictures did not change"
    assert player.locator(".chart canvas").first.evaluate("c => c.toDataURL()") != marker, "the marker did not move"
    assert len(sent) == n_sent, "playing talked to the server"
    slider = player.get_by_role("slider")
    slider.fill("3")  # an input event, as a drag makes
    assert player.get_attribute("data-step") == str(draws[2][1])
    assert page.get_by_test_id("stException").count() == 0


def test_strokes_drawn_quickly_on_the_mask_are_all_kept(page, app_url):
    """Three strokes drawn one after another, without waiting for the page's reruns: the mask holds all three
    (the canvas is not reloaded from the previous stroke's drawing when a rerun arrives)."""
    page.goto(f"{app_url}/inpainting?inp_msrc=Draw")
    wait_for_app(page)
    canvas = page.locator("canvas.upper-canvas").last
    expect(canvas).to_be_visible(timeout=30_000)
    missing = page.get_by_text("of pixels missing").locator("visible=true").last
    share = re.compile(r"(\d+)% of pixels missing")

    _stroke(page, canvas, [(0.05, 0.2), (0.95, 0.2)])
    expect(missing).to_be_visible(timeout=60_000)
    wait_for_app(page)
    one = int(share.search(missing.inner_text())[1])
    for y in (0.5, 0.8):
        _stroke(page, canvas, [(0.05, y), (0.95, y)])
    # the caption settles on all three strokes (with the canvas reloaded between strokes it stayed at one's share)
    at_least = round(2.5 * one)
    page.wait_for_function(
        """([min]) => [...document.querySelectorAll('p, div, figcaption')].some((e) => {
             const m = /(\\d+)% of pixels missing/.exec(e.textContent); return m && +m[1] >= min; })""",
        arg=[at_least], timeout=60_000)
    assert one > 0


# a Run computed here: its grid drawn by this browser (ui/browser_inpaint.py: fill_grid), the cells its children; or
# the server's, a row of columns
GRIDS = {"browser": (".fg .cells", ":scope > figure"),
         "server": (".st-key-inp_grid [data-testid='stHorizontalBlock']", ":scope > [data-testid=stColumn]")}


@pytest.mark.parametrize("where", ["browser", "server"])
def test_on_a_phone_the_methods_are_a_row_that_swipes(page, app_url, where):
    """At 390x844 the results are one row per grid line, two and a bit methods on the screen, the rest a swipe
    away; each method's fill keeps its spread beneath it, and no picture is narrower than a thumb's width: the grid
    this browser draws for its own Run as the server's."""
    page.set_viewport_size({"width": 390, "height": 844})
    _run_until_results(page, f"{app_url}/inpainting?inp_steps=40&inp_chains=2&inp_burn=10&inp_ns=100&inp_where={where}")
    rows, cells = GRIDS[where]
    grid = page.locator(rows).first
    row = grid.evaluate("(el, cells) => ({scroll: el.scrollWidth, width: el.clientWidth, height: el.clientHeight, "
                        "columns: [...el.querySelectorAll(cells)].map(c => "
                        "[c.getBoundingClientRect().left, c.getBoundingClientRect().top, c.clientWidth])})", cells)
    assert row["scroll"] > row["width"] * 2, row  # more methods than the screen holds: a swipe away
    tops = {round(top) for _, top, _ in row["columns"]}
    assert len(tops) == 1, f"the methods are stacked, not side by side: {row['columns']}"
    assert min(w for _, _, w in row["columns"]) >= 140 and row["height"] < 844, row
    grid.scroll_into_view_if_needed()
    page.screenshot(path=str(ROOT / ".screens" / f"inpainting-phone-{where}.png"))
    # a swipe to the end: the last method comes into the row's view
    end = grid.evaluate("""(el, cells) => { el.scrollLeft = el.scrollWidth;
        const cols = el.querySelectorAll(cells), last = cols[cols.length - 1];
        return [el.getBoundingClientRect().right, last.getBoundingClientRect().right]; }""", cells)
    assert abs(end[0] - end[1]) < 20, end

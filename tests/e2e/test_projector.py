"""The projector check, in chromium at 1280x720: each page's key picture is on the first screen (its centre too), its
plot text is at least 14 px, its title sits under the top bar, no text in it is cut off (a multiselect's chips
included); and on Inpainting, after Run, the results are on the first screen while the controls stay within
a screen's scroll and nothing is cut off either."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ui.catalog import PAGES

from .conftest import ROOT, wait_for_app

W, H = 1280, 720
SHOTS = ROOT / ".screens"
SHOWN_PX = 120  # at least this much of the key picture shows on the first screen, and its centre is on it
# each page's key picture (the first match); About is text and links only
KEY = {
    "home": '[data-testid="stImage"]',
    # the results where there are some (the shared default's once the server has computed it), else the mask
    "inpainting": ('.st-key-inp_results [data-testid="stImage"]', '[data-testid="stImage"]:has-text("missing (red)")'),
    "mnar": ".js-plotly-plot",  # imputed against true: the lesson's scatter
    "mnar_images": '[data-testid="stImage"]',
    "latent": ".ls .main",  # a canvas where the browser runs the generator, an image where the server does
    "vae": '[data-testid="stImage"]',
    "critics": ".js-plotly-plot",
    "gan": ".gp canvas",
    "flow2d": ".fp canvas",
    "clusters": ".js-plotly-plot",
    "results": ".js-plotly-plot",
}
PLOT_TEXT = """() => [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot text')]
    .filter(t => t.textContent.trim() && t.getBBox().width > 0)
    .map(t => [parseFloat(getComputedStyle(t).fontSize), t.textContent.trim().slice(0, 30)])"""

# visible elements of the main area whose text is cut off: a box that hides what overflows it (an ellipsis, a
# clip, or a strip that scrolls sideways as Streamlit's multiselect chips do) and holds more than it shows;
# each named by the texts inside it that do not show in full (its own text when it holds no smaller ones).
# Zero-sized and hidden elements (Streamlit keeps some for later) cannot show anything, so they do not count.
CUT_TEXT = """() => {
    const text = el => el.innerText?.trim().replace(/\\s+/g, ' ') || '';  // SVG elements have none
    return [...document.querySelectorAll('[data-testid="stMain"] *')].filter(el => {
        const box = el.getBoundingClientRect(), css = getComputedStyle(el);
        if (!box.width || !box.height || css.visibility !== 'visible' || !text(el)) return false;
        if (css.scrollSnapType !== 'none') return false;  // a row made to swipe sideways (a phone's methods)
        return (css.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
            || (css.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1);
    }).map(el => {
        const box = el.getBoundingClientRect(), right = box.left + el.clientWidth, bottom = box.top + el.clientHeight;
        const cut = [...el.querySelectorAll('*')].filter(c => !c.children.length && text(c)).filter(c => {
            const r = c.getBoundingClientRect();
            return r.left < box.left - 1 || r.top < box.top - 1 || r.right > right + 1 || r.bottom > bottom + 1;
        }).map(text);
        return `${el.getAttribute('data-testid') || el.tagName.toLowerCase()} cuts \
${JSON.stringify(cut.length ? cut : [text(el).slice(0, 80)])}`;
    });
}"""

# a plot's texts that run past its own edges (a title longer than a phone's plot is cut there)
PLOT_CUT = """() => [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')].flatMap(p => {
    const r = p.getBoundingClientRect();
    return [...p.querySelectorAll('text')].filter(t => { const b = t.getBoundingClientRect();
        return b.width > 0 && t.textContent.trim() && (b.right > r.right + 1 || b.left < r.left - 1); })
        .map(t => t.textContent.trim().slice(0, 40)); })"""


def _box(page, selector: str | tuple[str, ...]) -> dict:
    """The key picture's box: the first match of ``selector``, or of the first of several that has one (the last
    is waited for)."""
    *first, last = (selector,) if isinstance(selector, str) else selector
    page.locator(f'[data-testid="stMain"] {last}').first.wait_for(timeout=60_000)
    key = next((k for s in first if (k := page.locator(f'[data-testid="stMain"] {s}').first).count()),
               page.locator(f'[data-testid="stMain"] {last}').first)
    return key.bounding_box()  # from the top of the window: nothing has scrolled


def _top(page, selector: str) -> float:
    return _box(page, selector)["y"]


def _check_screen(page, name: str) -> None:
    try:  # a page may settle for a moment after its run (a late element above the title): allow it that
        page.wait_for_function("() => document.querySelector('h1').getBoundingClientRect().top < 80",
                               timeout=15_000)
    except Exception:  # noqa: BLE001 - say where the title is instead
        pass
    title = page.locator("h1").first.bounding_box()
    assert title["y"] < 80, f"{name}: the title starts {title['y']:.0f} px down"
    if name in KEY:
        box = _box(page, KEY[name])
        top, centre = box["y"], box["y"] + box["height"] / 2
        assert top <= H - SHOWN_PX, f"{name}: the key picture starts at {top:.0f} px, below the first screen"
        assert centre <= H, f"{name}: the key picture's centre is at {centre:.0f} px, below the first screen"
    small = [(size, text) for size, text in page.evaluate(PLOT_TEXT) if size < 14]
    assert not small, f"{name}: plot text under 14 px: {small[:5]}"
    cut = page.evaluate(CUT_TEXT) + page.evaluate(PLOT_CUT)
    assert not cut, f"{name}: text cut off at {W}x{H}: {cut}"


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.url_path)
def test_the_first_screen_carries_the_lesson(info, page, app_url):
    page.set_viewport_size({"width": W, "height": H})
    page.goto(f"{app_url}/{'' if info is PAGES[0] else info.url_path}")  # the default page lives at the root
    wait_for_app(page, timeout=180_000)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"projector-{info.url_path}.png"))
    _check_screen(page, info.url_path)


# a Run's results grid: the one the browser draws for its own Run (ui/browser_inpaint.py: fill_grid), or the server's
RESULTS_GRID = '.fg .cells canvas, [data-testid="stMain"] .st-key-inp_grid [data-testid="stImage"]'


def test_inpainting_results_on_the_first_screen_and_controls_near(page, app_url):
    page.set_viewport_size({"width": W, "height": H})
    page.goto(f"{app_url}/inpainting?inp_steps=40&inp_chains=4&inp_burn=10&inp_ns=100&inp_warm=5")
    wait_for_app(page, timeout=180_000)
    run = page.get_by_role("button", name="Run", exact=True)
    before = run.bounding_box()["y"]
    run.click()
    wait_for_app(page, timeout=300_000)
    page.get_by_role("heading", name="Results", exact=True).wait_for(timeout=60_000)
    grid = _top(page, RESULTS_GRID)  # waited for: the browser draws its grid once the panel's module has loaded
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "projector-inpainting-run.png"))
    assert grid <= H - SHOWN_PX, f"the results start at {grid:.0f} px"
    moved = run.bounding_box()["y"] - before
    assert moved < H, f"Run moved {moved:.0f} px down: more than a screen of scrolling to reach the controls"
    small = [(size, text) for size, text in page.evaluate(PLOT_TEXT) if size < 14]
    assert not small, f"plot text under 14 px after Run: {small[:5]}"
    cut = page.evaluate(CUT_TEXT)
    assert not cut, f"text cut off after Run at {W}x{H}: {cut}"


PHONE_W, PHONE_H = 390, 844
# what overflows the phone's width sideways: elements of the main area wider than the screen, but for those inside
# a box that scrolls sideways on purpose (a table, a swipeable row of methods, a code block)
WIDE = f"""() => [...document.querySelectorAll('[data-testid="stMain"] *')].filter(el => {{
    const r = el.getBoundingClientRect();
    if (!r.width || r.right <= {PHONE_W} + 1) return false;
    for (let p = el.parentElement; p; p = p.parentElement) {{
        const o = getComputedStyle(p).overflowX;
        if ((o === 'auto' || o === 'scroll' || o === 'hidden') && p.getBoundingClientRect().right <= {PHONE_W} + 1)
            return false;
    }}
    return true;
}}).map(el => el.getAttribute('data-testid') || el.className || el.tagName).slice(0, 5)"""


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.url_path)
def test_a_phone_shows_every_page_whole(info, page, app_url):
    """At 390x844: the title at the top, nothing wider than the screen (but in a box that scrolls sideways on
    purpose), no text cut off, no exception."""
    page.set_viewport_size({"width": PHONE_W, "height": PHONE_H})
    page.goto(f"{app_url}/{'' if info is PAGES[0] else info.url_path}")
    wait_for_app(page, timeout=180_000)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"phone-{info.url_path}.png"))
    assert page.get_by_test_id("stException").count() == 0
    assert page.locator("h1").first.bounding_box()["y"] < 100
    wide = page.evaluate(WIDE)
    assert not wide, f"{info.url_path}: wider than a {PHONE_W}-px phone: {wide}"
    cut = page.evaluate(CUT_TEXT) + page.evaluate(PLOT_CUT)
    assert not cut, f"{info.url_path}: text cut off at {PHONE_W}x{PHONE_H}: {cut}"


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_mask_editor_shows_every_control_whole(width, page, app_url):
    """Drawing a mask: the tool, the brush size and Clear in full in the set-up's narrow column (Clear was "C…")."""
    page.set_viewport_size({"width": width, "height": H})
    page.goto(f"{app_url}/inpainting?inp_msrc=Draw")
    wait_for_app(page, timeout=180_000)
    expect(page.get_by_role("button", name="Clear", exact=True)).to_be_visible(timeout=60_000)
    cut = page.evaluate(CUT_TEXT)
    assert not cut, f"text cut off at {width}x{H}: {cut}"

"""The latent explorer in chromium: the generator runs in the browser, so dragging any slider redraws the picture
from every slider with no message to the server, the release puts the values in the URL, and the picture
equals the server's render of that z; a browser without WebAssembly gets the server's frames and is told so;
the interpolation plays back and forth until paused; the key picture keeps its box while the generator loads;
on a phone the sliders go under the picture at full width and the perturbation grid keeps every column in view; no
button label is cut off. Speeds are measured for
the record by ``python -m dgm_core bench latent_speed``.
"""
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from benchmarks.common import CHROMIUM_ARGS
from benchmarks.latent_speed import PIXELS, READ_DRAWS, WATCH_DRAWS
from dgm_core import pretrained
from dgm_core.demos import latent as demo

from .conftest import CHROMIUM, LOADED, ROOT, wait_for_app

MAIN = ".ls canvas.main"
SLIDERS = '.ls input[type="range"]'


def drag(page, slider, frac_from: float, frac_to: float, steps: int = 30) -> None:
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * frac_from, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * frac_to, y, steps=steps)


def server_render(url: str) -> np.ndarray:
    """What the server's torch model draws for the z in a latent-explorer URL (the page's defaults otherwise)."""
    q = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    name = q.get("lat_model", "wgan-celeba")
    model, _ = pretrained.load(name)
    ex = demo.build(name, model)
    seed = int(q.get("lat_seed", demo.measured(name).get("opening_seed", 0)))
    values = [float(x) for x in q["lat_vals"].split(",")]
    dirs = ex.directions("pca", list(range(len(values))))
    img, _ = demo.slider_view(ex, seed, dirs, values)
    return (img.clamp(0, 1).numpy() * 255).round()


def test_two_sliders_drawn_in_the_browser_match_the_servers_render_and_send_nothing_while_dragged(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    page.goto(f"{app_url}/latent?lat_seed=3")
    wait_for_app(page, timeout=180_000)
    expect(page.locator(".ls .note")).to_contain_text("Drawn in this browser", timeout=120_000)
    main = page.locator(MAIN)
    main.scroll_into_view_if_needed()
    main.evaluate(WATCH_DRAWS)  # the page's own drawing, seen from outside (no hook in the page)
    for i, (a, b) in enumerate([(0.5, 0.85), (0.5, 0.2)]):  # PC 1 right, then PC 2 left
        slider = page.locator(SLIDERS).nth(i)
        before, n_draws, n_sent = main.evaluate(PIXELS), len(page.evaluate(READ_DRAWS)), len(sent)
        drag(page, slider, a, b)
        assert len(page.evaluate(READ_DRAWS)) - n_draws >= 5, "the picture did not follow the drag"
        assert main.evaluate(PIXELS) != before
        assert len(sent) == n_sent, "the page talked to the server during the drag"
        page.mouse.up()
        page.wait_for_function(f"() => (new URLSearchParams(location.search).get('lat_vals') || '').split(',')"
                               f".filter(v => parseFloat(v) !== 0).length === {i + 1}", timeout=30_000)
        wait_for_app(page)
    vals = [float(x) for x in parse_qs(urlparse(page.url).query)["lat_vals"][0].split(",")]
    assert vals[0] > 0 > vals[1] and not any(vals[2:]), vals
    shown = np.array(main.evaluate(PIXELS), dtype=float).reshape(32, 32, 4)[..., :3].transpose(2, 0, 1)
    want = server_render(page.url)
    assert np.abs(shown - want).max() <= 2, np.abs(shown - want).max()  # rounding of the last float digits
    labels = page.locator(".ls .row label span")
    assert labels.nth(1).inner_text().startswith("+") and labels.nth(3).inner_text().startswith("-")
    assert page.get_by_test_id("stException").count() == 0
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "latent-sliders.png"))


def test_the_perturbation_grid_drawn_in_the_browser_matches_the_servers(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/latent?lat_seed=3&lat_tab=Perturbation+grid&lat_dirs=0,2,5")
    wait_for_app(page, timeout=180_000)
    expect(page.locator(".ls .note")).to_contain_text("30 pictures", timeout=120_000)
    cells = page.locator(".ls canvas.cell")
    name = "wgan-celeba"
    model, _ = pretrained.load(name)
    ex = demo.build(name, model)
    grid = demo.perturbation_grid(ex, 3, ex.directions("pca", [0, 2, 5]))  # (3, 10, C, H, W)
    for i, j in [(0, 0), (1, 5), (2, 9)]:
        shown = np.array(cells.nth(i * 10 + j).evaluate(PIXELS), dtype=float).reshape(32, 32, 4)[..., :3]
        want = (grid[i, j].clamp(0, 1).numpy() * 255).round().transpose(1, 2, 0)
        assert np.abs(shown - want).max() <= 2, (i, j, np.abs(shown - want).max())
    assert page.get_by_test_id("stException").count() == 0


def test_a_browser_without_webassembly_gets_the_servers_frames_and_is_told(playwright, app_url):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.add_init_script("delete globalThis.WebAssembly")  # as in a browser whose WebAssembly is switched off
        page.goto(f"{app_url}/latent?lat_seed=3&lat_vals=1")
        wait_for_app(page, timeout=180_000)
        expect(page.locator(".ls .note")).to_contain_text("Frames from the server: this browser cannot run "
                                                          "WebAssembly", timeout=120_000)
        main = page.locator(".ls img.main")
        before = main.get_attribute("src")
        drag(page, page.locator(SLIDERS).first, 0.5, 0.95)
        assert main.get_attribute("src") != before, "the server's frames did not follow the drag"
        page.mouse.up()
        page.wait_for_function("() => parseFloat(new URLSearchParams(location.search).get('lat_vals')) > 1",
                               timeout=60_000)
        wait_for_app(page)
        page.get_by_role("tab", name="Perturbation grid").click()
        expect(page.get_by_text("Drawn by the server: this browser cannot run WebAssembly")).to_be_visible(
            timeout=60_000)
        assert page.get_by_test_id("stException").count() == 0
    finally:
        browser.close()


def test_the_interpolation_plays_back_and_forth_until_paused_and_pause_shows_the_servers_frames(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/latent?lat_seed=3&lat_seed_b=8&lat_tab=Interpolation&lat_alpha=0.3")
    wait_for_app(page, timeout=180_000)
    expect(page.locator(".ls .note")).to_contain_text("Drawn in this browser", timeout=120_000)
    name = "wgan-celeba"
    ex = demo.build(name, pretrained.load(name)[0])
    frames = demo.interpolation(ex, 3, 8).frames  # latent lerp, latent slerp, pixel blend at alpha = 0, 0.1, ... 1

    def assert_shows(i: int) -> None:
        for canvas, f in zip(page.locator(".ls .ipics canvas").all(), frames.values()):
            shown = np.array(canvas.evaluate(PIXELS), dtype=float).reshape(32, 32, 4)[..., :3]
            want = (f[i].clamp(0, 1).numpy() * 255).round().transpose(1, 2, 0)
            assert np.abs(shown - want).max() <= 2, (i, np.abs(shown - want).max())

    assert_shows(3)
    root = page.locator(".ls")
    seconds = float(root.get_attribute("data-pass-seconds"))
    assert 4 <= seconds <= 6, seconds  # slow enough for a class to follow a pass
    play = page.locator(".ls button.iplay")
    play.click()
    # the first pass ends at seed B (alpha 0.3 -> 1); the walk then turns back instead of stopping
    expect(root).to_have_attribute("data-passes", "1", timeout=seconds * 2_000)
    # then on its way back: α falls a tenth below seed B while it still plays
    page.wait_for_function("el => Number(el.dataset.alpha) < 0.9 && el.dataset.passes === '1'",
                           arg=root.element_handle(), timeout=seconds * 1_000)
    assert root.get_attribute("data-playing") == "1" and play.inner_text().strip() == "Pause"
    play.click()  # Pause: alpha on the 0.1 grid goes to the URL, and the pictures are the server's frames there
    page.wait_for_function("a => new URLSearchParams(location.search).get('lat_alpha') === a",
                           arg=f"{round(float(root.get_attribute('data-alpha')), 1):g}", timeout=30_000)
    wait_for_app(page)
    i = round(float(parse_qs(urlparse(page.url).query)["lat_alpha"][0]) * 10)
    assert_shows(i)
    expect(page.locator(".ls .ipics figcaption").nth(1)).to_have_text(f"latent slerp, α = {i / 10:.2f}")
    held = root.get_attribute("data-alpha")
    page.evaluate(FRAMES, 30)  # thirty frames later (half a second), α is where Pause left it
    assert root.get_attribute("data-alpha") == held and root.get_attribute("data-playing") == "0"
    assert play.inner_text().strip() == "▶ Play"
    assert page.get_by_test_id("stException").count() == 0


def test_on_a_phone_the_sliders_go_under_the_picture_at_full_width(page, app_url):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_url}/latent?lat_seed=3")
    wait_for_app(page, timeout=180_000)
    main = page.locator(MAIN).bounding_box()
    sliders = [b for b in page.locator(SLIDERS).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return {y: r.y, w: r.width}; })")]
    assert len(sliders) == 5
    assert min(b["w"] for b in sliders) >= 300, sliders
    assert min(b["y"] for b in sliders) >= main["y"] + main["height"], (main, sliders)


def test_on_a_phone_every_column_of_the_perturbation_grid_stays_in_view(page, app_url):
    # 10 columns of the faces' 64-pixel cells are wider than a phone: the pictures shrink, none is cut off
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_url}/latent?lat_seed=3&lat_tab=Perturbation+grid")
    wait_for_app(page, timeout=180_000)
    expect(page.locator(".ls .note")).to_contain_text("50 pictures", timeout=120_000)
    boxes = page.locator(".ls canvas.cell").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width]; })")
    assert len(boxes) == 50
    assert min(b[0] for b in boxes) >= 0 and max(b[1] for b in boxes) <= 390, boxes[:10]
    assert min(b[2] for b in boxes) >= 16, boxes[:10]  # still a picture, not a sliver


def test_the_key_picture_holds_its_final_box_while_the_generator_loads(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    held, go = [], []
    page.route("**/static/ort/**", lambda route: route.continue_() if go else held.append(route))  # hold the runtime
    # the component asks for the runtime once it is drawn, which a loaded machine may leave until after the script
    # has finished: wait for the request itself, however late (held from then on, whenever the route reaches us)
    try:
        with page.expect_request("**/static/ort/**", timeout=LOADED):
            page.goto(f"{app_url}/latent?lat_seed=3")
            wait_for_app(page, timeout=LOADED)
    except PlaywrightTimeout as e:
        raise AssertionError(f"awaited for {LOADED / 1000:.0f} s: the page's first run and its request for the "
                             "runtime (static/ort)") from e
    placeholder = page.locator(".ls .placeholder")
    expect(placeholder, "the placeholder while the runtime is held").to_be_visible(timeout=LOADED)
    expect(placeholder).to_contain_text("Loading the generator into this browser")
    loading, first_slider = page.locator(MAIN).bounding_box(), page.locator(SLIDERS).first.bounding_box()
    assert loading["height"] > 200 and placeholder.bounding_box() == loading, (loading, placeholder.bounding_box())
    go.append(True)
    for route in held:
        route.continue_()
    expect(page.locator(".ls .note"), "the generator drawn once the runtime is let through").to_contain_text(
        "Drawn in this browser", timeout=LOADED)
    expect(placeholder).to_be_hidden(timeout=LOADED)
    assert page.locator(MAIN).bounding_box() == loading, "the picture moved or changed size when it was drawn"
    assert page.locator(SLIDERS).first.bounding_box() == first_slider, "the sliders moved when the picture was drawn"


# resolves after n animation frames of the page: time measured in what the page draws, not by the clock
FRAMES = """n => new Promise((done) => { const f = () => (--n > 0 ? requestAnimationFrame(f) : done());
    requestAnimationFrame(f); })"""


# every visible button in the page's body, and every element in one, whose text is wider than its box
CUT_LABELS = """els => els.filter(b => b.getClientRects().length).flatMap(b => [b, ...b.querySelectorAll('*')])
    .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth)
    .map(e => `${e.textContent.trim()} (${e.scrollWidth} > ${e.clientWidth} px)`)"""


@pytest.mark.parametrize("width, height", [(1280, 720), (390, 844)])
def test_no_button_label_is_cut_off(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    buttons = page.locator('[data-testid="stMain"] button')
    page.goto(f"{app_url}/latent?lat_seed=3&lat_seed_b=8")
    wait_for_app(page, timeout=180_000)
    assert buttons.evaluate_all(CUT_LABELS) == []
    page.get_by_role("tab", name="Interpolation").click()
    wait_for_app(page)
    expect(page.locator(".ls .note")).to_contain_text("Drawn in this browser", timeout=120_000)
    play = page.locator(".ls button.iplay")
    assert buttons.evaluate_all(CUT_LABELS) == []
    play.click()
    expect(play).to_have_text("Pause")
    assert buttons.evaluate_all(CUT_LABELS) == []
    play.click()
    wait_for_app(page)

"""Click everything, in chromium at 1280x720: every tab, expander, button, slider, select and radio of
every page, asserting after each action that Streamlit shows no exception. AppTest cannot see what
only a browser does (a callback order, a widget set after it was drawn); this walk does.

Long work is kept short through the URL (few chain steps, the tiny training preset), so a walk takes
a minute or two per page. Screenshots of each page after its walk go to .screens/walk-<page>.png.
"""
from __future__ import annotations

import time

import pytest

from ui.catalog import PAGES

from .conftest import ROOT, wait_for_app

# what a page opens on for the walk: the same page, with its slow settings turned down
FAST = {
    "home": "",
    "inpainting": "?inp_steps=40&inp_chains=4&inp_burn=10&inp_ns=100&inp_warm=5",
    "mnar": "?mnar_preset=tiny",
    "mnar_images": "?mi_clip_k=100",
    "vae": "?vae_kmax=100",
    "clusters": "",
    "about": "",
}
# pages with a Streamlit slider, on opening or after a run (the walk fails when it moves none there)
HAS_SLIDERS = {"inpainting", "mnar", "mnar_images", "vae", "critics"}
# Streamlit 1.67 draws a slider as a react-aria group around a visually hidden <input type="range"> (no
# role="slider" anywhere); the keyboard moves it once the input has the focus
SLIDER = '[data-testid="stSlider"]'
BUDGET_S = 240  # per page; the walk stops (and says so) rather than run over
MAIN = '[data-testid="stMain"]'
# buttons a walk must not press: the file chooser, the removal crosses of a multiselect, the toolbar
# (and a select's own "Open" arrow, which selects() uses)
SKIP = ("Browse files", "Clear all", "Delete", "Remove", "Main menu", "Deploy")


def _exceptions(page) -> list[str]:
    return [e.inner_text()[:300] for e in page.get_by_test_id("stException").all()]


def _centre(locator) -> None:
    """Scroll an element to the middle of the viewport, clear of the sticky header."""
    locator.evaluate("e => e.scrollIntoView({block: 'center'})")


class Walk:
    def __init__(self, page, name: str):
        self.page, self.name, self.t0, self.log, self.skipped = page, name, time.time(), [], []
        self.sliders_moved, self.slid = 0, set()
        self.scope = MAIN  # where the controls to walk are: the whole page, or one open tab

    def over_budget(self) -> bool:
        return time.time() - self.t0 > BUDGET_S

    def check(self, what: str) -> None:
        try:
            wait_for_app(self.page, timeout=180_000)
            # a Run the visitor's browser computes (the inpainting panel) ends when the panel says it is done and
            # the page has drawn its results (locators see into the component's shadow root)
            bar = self.page.locator(".bi .bar .text")
            deadline = time.monotonic() + 180
            while bar.count() and not bar.first.inner_text().startswith("Done") and time.monotonic() < deadline:
                self.page.wait_for_timeout(200)
            wait_for_app(self.page, timeout=180_000)
        except Exception as e:  # noqa: BLE001 - say which action left the page running
            self.page.screenshot(path=str(ROOT / ".screens" / f"walk-{self.name}-stuck.png"), full_page=True)
            raise AssertionError(f"{self.name}: still running 180 s after {what} (before: {self.log[-3:]})") from e
        problems = _exceptions(self.page)
        assert not problems, f"{self.name}: after {what}: {problems[0]}"
        self.log.append(what)

    def tabs(self) -> list[str]:
        return [t.inner_text().strip() for t in self.page.locator(f'{MAIN} [role="tab"]').all()]

    def open_tab(self, label: str) -> None:
        tab = self.page.locator(f'{MAIN} [role="tab"]', has_text=label).first
        _centre(tab)
        tab.click()
        self.check(f"opening tab {label!r}")

    def expanders(self) -> None:
        for summary in self.page.locator(f'{self.scope} [data-testid="stExpander"] summary').all():
            if summary.is_visible():
                _centre(summary)
                summary.click()
                self.check("opening an expander")

    def buttons(self) -> None:
        """Press every visible button once (new ones appear after a run: look again after each)."""
        pressed: set[str] = set()
        while not self.over_budget():
            todo = None
            # the app's buttons, not Streamlit's own hover toolbars over tables and charts
            for b in self.page.locator(f'{self.scope} button:not([kind="elementToolbar"])').all():
                try:
                    if not (b.is_visible() and b.is_enabled()):
                        continue
                    label = (b.inner_text(timeout=500).strip() or b.get_attribute("aria-label")
                             or b.get_attribute("title") or "")
                except Exception:  # noqa: BLE001 - detached while we looked: the next round sees it
                    continue
                if not label or label == "Open" or any(s in label for s in SKIP) or label in pressed:
                    continue
                todo = (b, label)
                break
            if todo is None:
                return
            b, label = todo
            pressed.add(label)
            _centre(b)
            b.click()
            self.check(f"clicking {label!r}")

    def sliders(self) -> None:
        """Move each visible slider once (by its label: a slider a run brought is moved on the next call)."""
        for i in range(self.page.locator(f"{self.scope} {SLIDER}").count()):
            slider = self.page.locator(f"{self.scope} {SLIDER}").nth(i)
            name = slider.inner_text().split("\n")[0]
            if slider.is_visible() and name not in self.slid and not self.over_budget():
                self.slid.add(name)
                _centre(slider)
                thumb = slider.locator('input[type="range"]')
                before = thumb.input_value()
                thumb.focus()
                self.page.keyboard.press("ArrowRight" if before != thumb.get_attribute("max") else "ArrowLeft")
                self.check(f"moving slider {i}")
                after = self.page.locator(f"{self.scope} {SLIDER}").nth(i).locator('input[type="range"]')
                self.sliders_moved += after.count() > 0 and after.input_value() != before
        # the sliders of the panels drawn in the browser (the chain player's, the latent explorer's): plain range
        # inputs named by their aria-label
        ranges = self.page.locator(f'{self.scope} input[type="range"]')
        for i in range(ranges.count()):
            r = ranges.nth(i)
            if r.evaluate("e => !!e.closest('[data-testid=\"stSlider\"]')"):
                continue
            name = "panel: " + (r.get_attribute("aria-label") or str(i))
            if r.is_visible() and name not in self.slid and not self.over_budget():
                self.slid.add(name)
                _centre(r)
                before = r.input_value()
                r.focus()
                self.page.keyboard.press("ArrowRight" if before != r.get_attribute("max") else "ArrowLeft")
                self.check(f"moving {name}")
                self.sliders_moved += r.input_value() != before

    def selects(self, max_options: int = 3) -> None:
        """Pick the first few options of every selectbox, then put back the one it had."""
        n = self.page.locator(f'{self.scope} [data-testid="stSelectbox"]').count()
        for i in range(n):
            box = self.page.locator(f'{self.scope} [data-testid="stSelectbox"]').nth(i)
            if not box.is_visible():
                continue
            original = box.get_by_role("combobox").input_value()
            for k in [*range(max_options), None]:
                if self.over_budget():
                    return
                box = self.page.locator(f'{self.scope} [data-testid="stSelectbox"]').nth(i)
                try:
                    _centre(box)
                    box.get_by_role("button", name="Open").click(timeout=5000)
                    options = self.page.get_by_role("option")
                    option = options.get_by_text(original, exact=True).first if k is None else options.nth(k)
                    if k is not None and options.count() <= k:
                        self.page.keyboard.press("Escape")
                        continue
                    text = option.inner_text(timeout=5000)
                    option.click(timeout=5000)
                except Exception:  # noqa: BLE001 - a click that did not land is not an app error
                    self.page.keyboard.press("Escape")
                    self.skipped.append(f"select {i} option {k}")
                    continue
                self.check(f"choosing {text!r} in select {i}")

    def radios(self) -> None:
        for group in self.page.locator(f'{self.scope} [data-testid="stRadio"]').all():
            labels = group.locator("label").all()
            for label in [*labels[1:], *labels[:1]]:
                if self.over_budget() or not label.is_visible():
                    break
                text = label.inner_text()
                _centre(label)
                label.click()
                self.check(f"choosing radio {text!r}")


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.url_path)
def test_click_everything(info, page, app_url):
    """The page's own controls first; then each tab on a fresh load (so that what one tab's walk
    changed, say the table, cannot hide the next tab), walking only the controls inside it."""
    page.set_viewport_size({"width": 1280, "height": 720})
    path = "" if info is PAGES[0] else info.url_path  # the default page lives at the root
    url = f"{app_url}/{path}{FAST.get(info.url_path, '')}"
    page.goto(url)
    walk = Walk(page, info.url_path)
    walk.check("loading the page")
    controls = page.locator(", ".join(f"{MAIN} {c}" for c in (
        'button:not([kind="elementToolbar"])', SLIDER, '[role="tab"]', '[data-testid="stExpander"]',
        '[data-testid="stSelectbox"]', '[data-testid="stRadio"]'))).count()
    tabs = walk.tabs()
    for tab in [None, *tabs]:
        if tab is not None:
            page.goto(url)
            walk.check(f"reloading for tab {tab!r}")
            walk.open_tab(tab)
            walk.scope = f'{MAIN} [role="tabpanel"]:not([hidden])'
            walk.slid = set()
        walk.expanders()
        walk.sliders()  # before the buttons, whose runs may use up the page's budget on a busy host
        walk.buttons()
        walk.sliders()  # those the runs brought (the chain player's)
        walk.radios()
        walk.selects()
    shots = ROOT / ".screens"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"walk-{info.url_path}.png"), full_page=True)
    # it did walk, beyond loading and opening tabs (a page of text and links only has nothing to walk)
    assert len(walk.log) > 3 + len(tabs) or controls == 0, walk.log
    assert walk.sliders_moved or info.url_path not in HAS_SLIDERS, f"{info.url_path}: the walk moved no slider"

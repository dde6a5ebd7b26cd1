"""Inpainting's Settings in chromium: changing any of them asks the server for no rerun (the browser keeps the value;
its URL parameter follows at once), and Run then computes with every new value (issue 56). The reruns are counted
where they start: the BackMsgs the page sends on Streamlit's websocket."""
from __future__ import annotations

import re
from urllib.parse import quote_plus

from playwright.sync_api import expect

from benchmarks.browser_inpaint import reruns_asked, set_control
from dgm_core.controls import name
from dgm_core.demos.inpainting import CONTROLS, FIELD_KEYS

from .conftest import wait_for_app

# the new value of each Settings control (url key -> value; a select's value as the page names it)
NEW = {"steps": 150, "chains": 3, "burn": 30, "ns": 200, "init": "zeros", "warm": 2, "seed": 7, "kernel": "pcn",
       "fsteps": 12, "parts": 48, "lmoves": 3}


def _param(key: str, value) -> str:
    """The parameter as the bound widget writes it: a choice by its name."""
    return rf"[?&]inp_{key}={re.escape(quote_plus(name(CONTROLS[key], value)))}(&|$)"


def test_settings_change_without_a_rerun_and_run_reads_them(page, app_url):
    assert set(NEW) == set(FIELD_KEYS.values())  # every setting Run reads
    asked = reruns_asked(page)
    page.goto(f"{app_url}/inpainting")
    wait_for_app(page)
    page.get_by_text("Settings", exact=True).click()  # the expander
    expect(page.get_by_label(CONTROLS["steps"].label, exact=True)).to_be_visible()
    before = len(asked)
    for key, value in NEW.items():
        set_control(page, CONTROLS[key], value)
        # the widget has committed its value: its URL parameter says so (a rerun, if asked, is asked at that moment)
        page.wait_for_function("re => new RegExp(re).test(location.search)", arg=_param(key, value), timeout=30_000)
        assert len(asked) == before, f"changing {CONTROLS[key].label} asked the server for a rerun"
    page.get_by_role("button", name="Run", exact=True).click()
    wait_for_app(page, timeout=120_000)
    assert len(asked) > before  # Run is a rerun, and it reads the new values
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=120_000)
    url = page.url
    assert all(re.search(_param(k, v), url) for k, v in NEW.items()), url
    # the link opens on every value (the server read them from it)
    page.goto(url)
    wait_for_app(page)
    page.get_by_text("Settings", exact=True).click()
    for key, value in NEW.items():
        if CONTROLS[key].kind == "number":
            expect(page.get_by_label(CONTROLS[key].label, exact=True)).to_have_value(str(value))
        else:
            expect(page.get_by_role("combobox", name=CONTROLS[key].label)).to_have_value(name(CONTROLS[key], value))

"""How fast the latent explorer answers, server side and in a real browser.

    python -m dgm_core bench latent_speed [--repeats 7] [--releases 8]

Server side (one torch thread, the app's setting; medians of ``repeats``), for every installed generator
of the page: one image, an 11-frame strip, the whole perturbation grid (5 directions x 10 eps), the slider
panel's work on a release (the image and 5 strips of 21 frames), the interpolation (3 paths x 11 frames,
critic scores). Targets: 10, 30 and 150 ms for the first three.

In chromium at 1280x720 against a live server (the page's default model), where the generator runs in the
browser (onnxruntime-web): the time from one slider's `input` event to the new picture drawn; the pictures
drawn per second while one `input` event per screen frame moves every slider in turn; the messages the page
sends the server meanwhile (0: no rerun during a drag); and from a real mouse release to the URL holding the
value; on the perturbation grid tab, from a new seed typed in to the 50 pictures drawn (the server's rerun
included) and the browser's own drawing time, which the page shows; on the interpolation tab, the pictures
drawn per second while Play sweeps α, and the messages sent meanwhile; then every other shipped generator's
grid, opened by its link. Measured from outside with the browser's
clock: the panel's canvas is watched (a stamp per putImageData), events are fired as a drag fires them. The
previous server-frame figures stay in the file as the baseline.

Writes benchmarks/results/latent_speed.{json,md}. Needs no data directory (the generators are shipped).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from benchmarks.harness import bench
import torch

from benchmarks.common import CHROMIUM_ARGS, machine_line, median_ms, streamlit_server
from dgm_core import pretrained
from dgm_core.demos import latent as demo
from dgm_core.device import set_threads

# Injected by the measurement (never part of the page), called with the panel's big canvas (the panel lives in a
# shadow root, which document.querySelector does not enter): stamps every picture the panel draws into it, and
# the panel's α at that moment (its data-alpha; NaN on a panel without one)
WATCH_DRAWS = """canvas => {
  const ctx = canvas.getContext('2d'), put = ctx.putImageData.bind(ctx), draws = [], alphas = [];
  const root = canvas.closest('.ls');
  ctx.putImageData = (...a) => { put(...a); draws.push(performance.now()); alphas.push(Number(root?.dataset.alpha)); };
  document.latentDraws = draws;
  document.latentAlphas = alphas;
}"""
READ_DRAWS = "() => document.latentDraws.slice()"
# records the browser's long tasks (main thread held over 50 ms) from now on, their durations in ms
WATCH_LONG_TASKS = """() => { const log = document.longTasks = [];
  new PerformanceObserver((l) => l.getEntries().forEach((e) => log.push(e.duration))).observe({type: 'longtask'}); }"""
# sets a slider (an <input type=range>) to a value and fires its `input` event, as a drag does; returns the time
SET_SLIDER = """([input, value]) => { input.value = value; const t = performance.now();
  input.dispatchEvent(new Event('input', {bubbles: true})); return t; }"""
# stamps a slider's `change` event and the next history call that writes lat_vals into the URL (the page's own
# call or Streamlit's), with the browser's clock
WATCH_URL = """input => {
  const rec = document.latentUrl = {change: null, written: null};
  input.addEventListener('change', () => { rec.change = performance.now(); rec.written = null; }, true);
  for (const k of ['replaceState', 'pushState']) {
    const f = history[k].bind(history);
    history[k] = (state, title, url) => {
      const r = f(state, title, url);
      if (rec.written === null && String(url).includes('lat_vals=')) rec.written = performance.now();
      return r;
    };
  }
}"""
# the pixels of a canvas, RGBA
PIXELS = "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
TARGETS_MS = {"one_image": 10, "strip_11": 30, "grid": 150}
OTHERS = "grid_draw_in_browser_median_ms_other_models"  # every shipped generator but the page's default
BROWSER_BARS = {"drag_frames_per_second": 30, "input_to_drawn_ms": 33, "release_to_url_ms": 150,
                "websocket_messages_during_drag": 0, "grid_ms": 200}
BROWSER_GOALS = {"drag_frames_per_second": 60, "input_to_drawn_ms": 16, "release_to_url_ms": 50,
                 "websocket_messages_during_drag": 0, "grid_ms": 60}


def server(name: str, repeats: int) -> dict:
    model, _ = pretrained.load(name)
    t0 = time.perf_counter()
    ex = demo.build(name, model)
    build_ms = round(1000 * (time.perf_counter() - t0), 1)
    dirs = ex.directions("pca", list(range(5)))
    z = demo.base_latent(ex, 0)
    try:
        critic, _ = pretrained.load(demo.CRITIC_OF[demo.MODELS[name][0]])
    except pretrained.PretrainedError:
        critic = None
    strip = demo.lt.strip_latents(z, dirs.vectors[0], torch.linspace(-5, 5, 11))
    return {"directions_once_ms": build_ms,
            "one_image": median_ms(lambda: ex.render(z[None]), repeats),
            "strip_11": median_ms(lambda: ex.render(strip), repeats),
            "grid": median_ms(lambda: demo.perturbation_grid(ex, 0, dirs), repeats),
            "slider_release": median_ms(lambda: demo.slider_view(ex, 0, dirs, [1.0, 0, 0, 0, 0]), repeats),
            "interpolation": median_ms(lambda: demo.interpolation(ex, 0, 1, critic), repeats)}


def browser(releases: int, seconds: float = 3.0) -> dict:
    """The generator in the browser, measured from outside with the browser's own clock."""
    from playwright.sync_api import sync_playwright

    from benchmarks.app_memory import wait

    with streamlit_server(dict(os.environ)) as (url, _), sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 720})
        sent = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.perf_counter())))
        t_open = time.perf_counter()
        page.goto(f"{url}/latent")
        wait(page)
        note = page.locator(".ls .note")
        note.filter(has_text="Drawn in this browser").wait_for(timeout=120_000)
        first_picture_s = round(time.perf_counter() - t_open, 2)
        main = page.locator(".ls canvas.main")
        main.scroll_into_view_if_needed()
        main.evaluate(WATCH_DRAWS)
        sliders = page.locator('.ls input[type="range"]')
        k = sliders.count()
        handles = [sliders.nth(i).element_handle() for i in range(k)]

        def drawn_after(t: float) -> float:
            page.wait_for_function(f"() => document.latentDraws.some(d => d > {t})", timeout=10_000)
            return min(d for d in page.evaluate(READ_DRAWS) if d > t) - t

        latency = []  # one input event at a time, every slider in turn
        for i in range(30):
            t = page.evaluate(SET_SLIDER, [handles[i % k], round(-4 + 0.3 * i, 1)])
            latency.append(drawn_after(t))
            page.wait_for_timeout(30)
        # a drag as fast as the screen: one input event per animation frame, every slider in turn
        n_sent = len(sent)
        draws0 = len(page.evaluate(READ_DRAWS))
        events = page.evaluate("""([inputs, seconds]) => new Promise(done => {
          let n = 0; const t0 = performance.now();
          const step = () => {
            const input = inputs[n % inputs.length];
            input.value = (Math.sin(n / 7) * 4.5).toFixed(1);
            input.dispatchEvent(new Event('input', {bubbles: true})); n++;
            if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(step); else done(n);
          };
          requestAnimationFrame(step);
        })""", [handles, seconds])
        page.wait_for_timeout(200)
        draws = page.evaluate(READ_DRAWS)[draws0:]
        during_drag = len(sent) - n_sent
        span = (draws[-1] - draws[0]) / 1000 if len(draws) > 1 else 1e-3
        # a real mouse drag of the first slider, then its release: the URL follows without a server redraw. The
        # browser's clock: from the slider's `change` event to the history call that writes the value
        page.evaluate(WATCH_URL, handles[0])
        box = sliders.first.bounding_box()
        y = box["y"] + box["height"] / 2
        release, dispatch = [], []
        for i in range(releases):
            page.mouse.move(box["x"] + box["width"] * 0.5, y)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * (0.55 + 0.05 * (i % 8)), y, steps=8)
            value = float(sliders.first.input_value())
            t0 = page.evaluate("performance.now()")
            page.mouse.up()
            page.wait_for_function("v => Math.abs(parseFloat(new URLSearchParams(location.search).get('lat_vals'))"
                                   " - v) < 1e-6", arg=value, timeout=30_000)
            changed, written = page.evaluate("() => [document.latentUrl.change, document.latentUrl.written]")
            release.append(written - changed)
            dispatch.append(changed - t0)
            wait(page)
        page.get_by_role("tab", name="Perturbation grid").click()
        grid_ms, grid_draw_ms = grid(page, releases)
        # the interpolation: Play sweeps alpha from 0 to 1 in the browser; pictures drawn per second meanwhile
        page.evaluate(WATCH_LONG_TASKS)
        page.get_by_role("tab", name="Interpolation").click()
        wait(page)
        page.locator(".ls .note").filter(has_text="Drawn in this browser").wait_for(timeout=120_000)
        # the tab's critic chart is the page's first plotly chart: drawing it holds the browser's main thread (the
        # longest task, recorded) after the tab opens, which a Play pressed meanwhile would count as its own
        page.locator(".st-key-lat_scores .js-plotly-plot .main-svg").first.wait_for(state="visible", timeout=60_000)
        tab_tasks = page.evaluate("() => document.longTasks.slice()")
        page.locator(".ls .ipics canvas").first.evaluate(WATCH_DRAWS)
        panel = page.locator(".ls").filter(has=page.locator("button.iplay"))
        play_from, pass_s = float(panel.get_attribute("data-alpha")), float(panel.get_attribute("data-pass-seconds"))
        n_sent = len(sent)
        page.locator(".ls button.iplay").click()
        page.locator('.ls[data-passes="1"]').wait_for(timeout=60_000)  # the first pass, to α = 1, is over
        play, play_alphas = page.evaluate("() => [document.latentDraws.slice(), document.latentAlphas.slice()]")
        play_sent = len(sent) - n_sent  # alpha goes to the server only on Pause
        # Play turns round at α = 1 and goes on while the mark is read: the watched stretch ends at the first
        # picture stamped with the pass's highest α, the pictures after it (on the way back) are counted apart
        turn = play_alphas.index(max(play_alphas))
        play_back, play, play_alphas = len(play) - turn - 1, play[:turn + 1], play_alphas[:turn + 1]
        page.locator(".ls button.iplay").click()
        # every other shipped generator's grid, opened by its link (its ONNX graph is another size)
        others = {}
        for name in demo.shipped()[1:]:  # the first is the page's default
            page.goto(f"{url}/latent?lat_model={name}&lat_tab=Perturbation+grid")
            others[name] = round(statistics.median(grid(page, releases)[1]), 1)
        b.close()
    return {"first_picture_after_open_s": first_picture_s,
            "input_to_drawn_ms": [round(v, 1) for v in latency],
            "input_to_drawn_median_ms": round(statistics.median(latency), 1),
            "drag_input_events": events, "drag_frames": len(draws), "drag_seconds": round(span, 3),
            "drag_frames_per_second": round((len(draws) - 1) / span, 1), "sliders_dragged": k,
            "websocket_messages_during_drag": during_drag,
            "release_to_url_ms": [round(v, 1) for v in release],
            "release_to_url_median_ms": round(statistics.median(release), 1),
            "mouse_up_to_change_event_ms": [round(v, 1) for v in dispatch],
            "grid_new_seed_to_drawn_ms": [round(v, 1) for v in grid_ms],
            "grid_new_seed_to_drawn_median_ms": round(statistics.median(grid_ms), 1),
            "grid_draw_in_browser_ms": grid_draw_ms,
            "grid_draw_in_browser_median_ms": round(statistics.median(grid_draw_ms), 1),
            "play_frames": len(play), "play_seconds": round((play[-1] - play[0]) / 1000, 3),
            "play_frames_per_second": round((len(play) - 1) / max(1e-3, (play[-1] - play[0]) / 1000), 1),
            "play_from_alpha": play_from, "play_to_alpha": play_alphas[-1], "play_pass_seconds": pass_s,
            "play_alpha_first_drawn": play_alphas[0], "play_drawn_after_turn": play_back,
            # the page moves α by at most 0.1 s a frame: time between pictures beyond that is walked slower
            "play_longest_gap_ms": round(max(b - a for a, b in zip(play, play[1:])), 1),
            "play_longest_gap_after_picture": max(range(len(play) - 1), key=lambda i: play[i + 1] - play[i]),
            "play_seconds_over_frame_cap": round(sum(max(0.0, b - a - 100) for a, b in zip(play, play[1:])) / 1000, 3),
            "play_websocket_messages": play_sent,
            "interpolation_tab_longest_task_ms": round(max(tab_tasks, default=0.0), 1), OTHERS: others}


def grid(page, n: int) -> tuple[list[float], list[float]]:
    """On the perturbation grid tab, ``n`` new seeds typed in, each: the server's rerun sends z, the browser draws
    the 50 pictures -> (ms from Enter to the grid drawn, the browser's own drawing ms as the page shows it)."""
    from benchmarks.app_memory import wait

    wait(page)
    page.locator(".ls .note").filter(has_text="Drawn in this browser").wait_for(timeout=120_000)
    seed = page.get_by_label("Seed of z", exact=True)
    total, drawing = [], []
    for i in range(n):
        old = page.locator(".ls .note").element_handle()
        seed.fill(str(100 + i))
        t0 = time.perf_counter()
        seed.press("Enter")
        page.wait_for_function("old => !old.isConnected", arg=old, timeout=60_000)
        note = page.locator(".ls .note").filter(has_text="pictures in")
        note.wait_for(timeout=60_000)
        total.append(1000 * (time.perf_counter() - t0))
        drawing.append(float(note.inner_text().split(" pictures in ")[1].split(" ms")[0]))
        wait(page)
    return total, drawing


def play_rows(br: dict) -> list[str]:
    """The interpolation's Play rows: pictures a second, how long the watched stretch took against the page's pace
    (one pass, α from 0 to 1, in ``play_pass_seconds``; files from before it was read lack that row), messages."""
    rows = [f"| interpolation Play, pictures drawn per second (3 paths each) | {br['play_frames_per_second']} | | |"]
    if "play_pass_seconds" in br:
        a0, a1, pace = br["play_from_alpha"], br["play_to_alpha"], br["play_pass_seconds"]
        rows.append(f"| … the watched stretch, from the opening α ({a0:g}) to {a1:g} (s; at the page's pace, "
                    f"{pace:g} s from α = 0 to 1: {abs(a1 - a0) * pace:.3g}) | {br['play_seconds']} | | |")
    if "play_seconds_over_frame_cap" in br:
        rows.append(f"| … of which pictures more than 0.1 s apart, beyond it (s; the page walks α at most 0.1 s a "
                    f"frame; longest gap {br['play_longest_gap_ms']} ms) | {br['play_seconds_over_frame_cap']} | | |")
    rows.append(f"| … messages to the server during Play (α goes to it on Pause) | "
                f"{br['play_websocket_messages']} | | |")
    if "interpolation_tab_longest_task_ms" in br:
        rows.append("| … the main thread's longest hold after the tab opens, until its chart is drawn (ms; Play "
                    f"waits for it) | {br['interpolation_tab_longest_task_ms']} | | |")
    return rows


def report(rec: dict) -> str:
    lines = ["# Latent explorer speed", "", "Server side, one thread, median ms (targets: one image 10, 11-frame strip "
             "30, grid 150):", "", "| model | one image | strip of 11 | grid 5x10 | slider release | interpolation |"
             " directions (once) |", "|---|---|---|---|---|---|---|"]
    for name, r in rec["server"].items():
        lines.append(f"| {name} | {r['one_image']} | {r['strip_11']} | {r['grid']} | {r['slider_release']} | "
                     f"{r['interpolation']} | {r['directions_once_ms']} |")
    br, bars, goals = rec["browser"], rec["browser_bars"], rec["browser_goals"]
    lines += ["", "## In the browser (chromium, 1280x720, the page's default generator, onnxruntime-web, one thread)",
              "", "| what | measured | bar | goal |", "|---|---|---|---|",
              f"| frames drawn per second, a drag over all {br['sliders_dragged']} sliders in turn (one input event "
              f"per screen frame, {br['drag_input_events']} events) | {br['drag_frames_per_second']} | "
              f"≥ {bars['drag_frames_per_second']} | ≥ {goals['drag_frames_per_second']} |",
              f"| input event → new picture drawn, median of {len(br['input_to_drawn_ms'])} (ms) | "
              f"{br['input_to_drawn_median_ms']} (max {max(br['input_to_drawn_ms'])}) | ≤ {bars['input_to_drawn_ms']} "
              f"| ≤ {goals['input_to_drawn_ms']} |",
              "| slider released (its change event) → the URL holds the value, median of "
              f"{len(br['release_to_url_ms'])}"
              " (ms) | "
              f"{br['release_to_url_median_ms']} | ≤ {bars['release_to_url_ms']} | ≤ {goals['release_to_url_ms']} |",
              f"| messages to the server during the drag | {br['websocket_messages_during_drag']} | 0 | 0 |",
              f"| perturbation grid (5 directions × 10 ε) drawn in the browser, median (ms) | "
              f"{br['grid_draw_in_browser_median_ms']} | ≤ {bars['grid_ms']} | ≤ {goals['grid_ms']} |",
              f"| … from a new seed typed in (Enter) to the grid drawn, with the server's rerun (ms) | "
              f"{br['grid_new_seed_to_drawn_median_ms']} | | |",
              *[f"| … the same grid of {name} (its link), median (ms) | {ms} | ≤ {bars['grid_ms']} | "
                f"≤ {goals['grid_ms']} |" for name, ms in br.get(OTHERS, {}).items()],
              *play_rows(br),
              "", "Under load the browser itself receives the mouse late: from playwright's mouse-up to the slider's "
              f"change event {statistics.median(br['mouse_up_to_change_event_ms']):.0f} ms (median), "
              "not counted above.",
              "", f"The first picture appeared {br['first_picture_after_open_s']} s after the page was opened (the "
              "runtime, 14 MB of WebAssembly, and the model load once per visit)."]
    old = rec.get("baseline_server_frames")
    if old:
        lines += ["", f"Baseline (server frames, {old['date']}): release → the server's redraw, median "
                  f"{old['release_to_redraw_median_ms']} ms; one slider's pre-rendered strip swapped at "
                  f"{old['drag_frames_per_second']} pictures per second; a rerun for every release."]
    return "\n".join(lines) + "\n" + "\n" + machine_line(rec["machine"]) + "\n"


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--releases", type=int, default=8)


def run(a: argparse.Namespace) -> dict:
    set_threads(1)
    have = {c.name for c in pretrained.list_cards()}
    old = a.previous
    baseline = old.get("baseline_server_frames") or (
        {**old["browser"], "date": old["machine"]["date"]} if "release_to_redraw_median_ms" in old.get("browser", {})
        else None)
    return {"server": {m: server(m, a.repeats) for m in demo.MODELS if m in have},
            "browser": browser(a.releases), "browser_bars": BROWSER_BARS, "browser_goals": BROWSER_GOALS,
            "baseline_server_frames": baseline, "targets_ms": TARGETS_MS, "threads": 1, "repeats": a.repeats,
            "releases": a.releases, "viewport": [1280, 720], "grid": [5, len(demo.lt.EPSILONS)]}


BENCH = bench(run, report, options=options)


if __name__ == "__main__":
    raise SystemExit(BENCH.main())

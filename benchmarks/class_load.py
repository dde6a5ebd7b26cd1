"""A lesson played by a class: N students follow the same short lesson in the hosted app at once.

    python -m dgm_core bench class_load --students N [--replicas R] [--clients chromium|light]
                                        [--data/--no-data] [--label baseline|final] [--app-dir DIR]

Starts the app as a host would (a fresh `streamlit run app.py`, with or without DGM_DATA_DIR), pins the
server to core 0 and the clients to core 1, and plays the lesson in N sessions at once, their starts
staggered over a few seconds:

    Home -> Inpainting -> Run (the default) -> a mask of one's own -> Run (it) -> MNAR lab (its table)
         -> Latent explorer -> VAE -> Clusters -> Results

Each step is a click in the top navigation (one session throughout, as a student clicks), or the Run button.
The student's own mask is the preset "Random rectangles" with the mask seed 1 + the student's number, so every
student's second Run is a computation nobody else asked for: it waits its turn in the server's queue. After that
step each student's URL must hold their own mask seed, and nobody else's (a leak between sessions otherwise).
Per step it records the time from the click to the result shown (the script finished and, where the step
names one, its result on the page), over the students: p50, p95, max; every exception element and every
console error; and the server's peak resident memory (the server and its children, polled).

Clients: ``chromium`` drives real pages (one browser, a context per student; a step ends when Streamlit
reports nothing running); ``light`` speaks Streamlit's own websocket protocol (BackMsg / ForwardMsg
protobufs on /_stcore/stream): it asks for a rerun of a page or with a button's trigger, and a step ends at
the run's ``script_finished``; it fetches the images the run sends, as a browser would, and before its own Run
computes in the browser (``--own-runs browser``: the work replayed) the runtime's and the models' files its worker
loads, accepting gzip, as a browser with nothing cached does. Run both at small N to see that they measure the same
thing.

``--replicas R`` (R > 1) serves the app as server/replicas.py does: R replicas on loopback behind nginx (sticky by a
cookie that names the replica), every replica and nginx pinned to the same server core as the single server; the
memory figures are summed over the replicas and nginx. As server/replicas.py, each replica has had one first visit
before nginx opens (its imports and warm-up started before the class; ``--cold``: not), which the single server,
started as `streamlit run` starts it, cannot have. Each student first loads the page (as a browser does: the
light client keeps the cookie nginx sets and sends it with its websocket and image requests).

``--py-spy DIR`` records the server processes with py-spy (raw stacks, 50 samples a second, on the clients' core)
and writes ``DIR/profile.md``: the samples per page and the costs that lead each (``profile_summary``).

``--app-dir`` plays the lesson against another checkout's app (started by that checkout's own
benchmarks.common.streamlit_server), to measure an earlier version of the app on the same footing.
Results are kept in benchmarks/results/class_load.{json,md}, one record per label, students, replicas,
data and clients; a new run replaces only its own record.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from benchmarks.common import CHROMIUM_ARGS, app_commit, machine_line, streamlit_server
from benchmarks.harness import BenchError, bench, keyed

ROOT = Path(__file__).resolve().parents[1]
SERVER_CORE, CLIENT_CORE = 0, 1
STAGGER_S = 3.0  # the students' starts spread over this long
STEP_TIMEOUT_S = 240.0
PANEL = "dgm_browser_inpaint"  # the inpainting page's browser panel (ui/browser_inpaint.py)
RUN_BUDGET_S = 420.0  # a whole run ends by itself within this (students not done by then are cut off)

# (name, what the student does, the page's url path or the button's label, text that shows the result)
LESSON = (
    ("home", "open", "", None),
    ("inpainting", "nav", "inpainting", None),
    ("inpainting_run", "button", "Run", "Results"),
    ("mask", "mask", "Random rectangles", None),
    # the results' line "Computed on <image>, Random rectangles (<n>% missing)"; two students whose seeds drew the
    # same rectangle share one computation, as they should
    ("own_mask_run", "button", "Run", "Random rectangles ("),
    ("mnar", "nav", "mnar", "Lowest RMSE"),
    ("latent", "nav", "latent", None),
    ("vae", "nav", "vae", None),
    ("clusters", "nav", "clusters", None),
    ("results", "nav", "results", None),
)


# ------------------------------------------------------------------------------------------- the server

def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its children, kB."""
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True)
    return sum(int(v) for v in out.stdout.split())


def vm_hwm_kb(pid: int) -> int | None:
    """The kernel's high-water mark of a process's resident memory, kB (None once it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_kb(pids: list[int]) -> int:
    """Resident memory of these processes and their children, kB."""
    return sum(tree_rss_kb(pid) for pid in pids)


class RssPoller:
    """Polls the server trees' resident memory twice a second; ``peak_kb`` is the largest sum seen."""

    def __init__(self, pids: list[int]):
        self.pids, self.peak_kb, self.samples = pids, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, rss_kb(self.pids))
            self.samples += 1
            self._stop.wait(0.5)

    def __enter__(self) -> RssPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def server_for(app_dir: Path):
    """The ``streamlit_server`` of the checkout at ``app_dir``: it starts that checkout's app.py."""
    if app_dir.resolve() == ROOT:
        return streamlit_server
    spec = importlib.util.spec_from_file_location("_class_load_app_common", app_dir / "benchmarks" / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.streamlit_server


@contextlib.contextmanager
def pinned_server(app_dir: Path, env: dict, log: Path, replicas: int = 1, warm: bool = True,
                  cores: frozenset[int] = frozenset({SERVER_CORE})):
    """The app's server on core 0 (it and every process it starts inherit the affinity), this process and
    the clients it starts afterwards on core 1 -> (url, the server's pids). ``replicas`` > 1: nginx and
    that many replicas (server/replicas.py), all on core 0. ``cores``: the server's cores instead (both: the
    clients share one)."""
    start, mine = server_for(app_dir), os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(cores))
    try:
        if replicas > 1:
            from server.replicas import cluster
            cm = cluster(replicas, cpus=set(cores), env=env, log=log, app_dir=app_dir, warm=warm)
        else:
            cm = start(env=env, log=log) if app_dir.resolve() == ROOT else start(env=env)
        with cm as served:
            os.sched_setaffinity(0, {CLIENT_CORE})
            yield (served.url, served.pids()) if replicas > 1 else (served[0], [served[1].pid])
    finally:
        os.sched_setaffinity(0, mine)


@contextlib.contextmanager
def py_spy(pids: list[int], out: Path | None):
    """py-spy recording each of ``pids`` into ``out``/server-<pid>.txt while the block runs (nothing when ``out`` is
    None); then ``out``/profile.md."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).with_name("py-spy")
    spies = [subprocess.Popen([str(exe), "record", "-p", str(pid), "--rate", "50", "--format", "raw", "--threads",
                               "--nonblocking", "-o", str(out / f"server-{pid}.txt")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in pids]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(2)  # SIGINT: py-spy writes what it sampled
            spy.wait(60)
        (out / "profile.md").write_text(profile_summary(sorted(out.glob("server-*.txt"))))


OWNERS = (  # whose a sample is: the first of these its stack meets, from the running function up
    ("idle", re.compile(r"^(EpollSelector\.select|select|Condition\.wait|Event\.wait|sleep|wait) "
                        r"\((selectors|threading|time|asyncio/\w+)\.py")),
    ("ours", re.compile(r"\((ui|dgm_core)/|\((" + "|".join(sorted(p.stem for p in (ROOT / "pages").glob("*.py")))
                        + r"|app)\.py")),  # a page's file: its name alone
    ("Streamlit", re.compile(r"\(streamlit/")),
    ("the web server", re.compile(r"\((uvicorn|starlette|anyio|websockets|wsproto|h11|httptools|tornado)/")),
)


def profile_split(files: list[Path]) -> dict:
    """py-spy's raw stacks split by whose code was running: ours (pages, ui, dgm_core, and the libraries they call),
    Streamlit's (its element calls, messages, media files, sessions, and what it calls), the web server's (uvicorn,
    starlette, asyncio's loop), idle waits py-spy sampled, and the rest -> {owner: share of the samples, %}, and
    the same for the script threads alone (a page's rerun)."""
    counts, script = Counter(), Counter()
    for f in files:
        for line in f.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = stack.split(";")[1:]
            owner = "other"
            for i, fr in enumerate(reversed(frames)):
                if i == 0 and OWNERS[0][1].search(fr):
                    owner = "idle"
                    break
                got = next((o for o, rx in OWNERS[1:] if rx.search(fr)), None)
                if got:
                    owner = got
                    break
            counts[owner] += int(n)
            if "ScriptRunner.scriptThread" in stack[:80]:
                script[owner] += int(n)
    pct = lambda c: {o: round(100 * v / max(1, sum(c.values())), 1) for o, v in c.most_common()}  # noqa: E731
    return {"samples": sum(counts.values()), "share_pct": pct(counts), "script_samples": sum(script.values()),
            "script_share_pct": pct(script)}


def profile_summary(files: list[Path], top: int = 8) -> str:
    """py-spy's raw stacks as samples per page (the page file a script thread runs), per other thread (by name: the
    serving jobs, the warm-up, the event loop), with the functions that lead each: inclusive (plumbing left out)
    and self. py-spy counts a thread waiting in epoll or a sleep as running at times: read those as idle."""
    pages = {p.stem for p in (ROOT / "pages").glob("*.py")}
    total, per = Counter(), {}
    plumbing = re.compile(r"threading\.py|script_runner\.py|exec_code\.py|navigation/page\.py|<module> \(app\.py|"
                          r"importlib|runpy|click/|streamlit/__main__|streamlit/web/")
    for f in files:
        for line in f.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = [re.sub(r":\d+\)$", ")", fr) for fr in stack.split(";")]
            page = next((m.group(1) for fr in frames if (m := re.match(r"<module> \((\w+)\.py\)", fr))
                         and m.group(1) in pages), None)
            thread = re.sub(r"^thread \(\w+\): |\d+$", "", frames[0]) or "unnamed"
            script = any("script_runner.py" in fr for fr in frames)
            where = page or ("script, outside a page" if script else f"thread {thread}")
            total[where] += int(n)
            incl, own = per.setdefault(where, (Counter(), Counter()))
            for fr in dict.fromkeys(frames[1:]):
                if not plumbing.search(fr):
                    incl[fr] += int(n)
            own[frames[-1]] += int(n)
    split = profile_split(files)
    lines = ["# Where the server's CPU went", "", f"{sum(total.values())} samples at 50 a second (py-spy, raw stacks "
             f"of {len(files)} process{'es' if len(files) != 1 else ''}).", "",
             "Whose code ran (the first owner a sample's stack meets from the running function up), all threads: "
             + ", ".join(f"{o} {v} %" for o, v in split["share_pct"].items()) + "; the pages' reruns (script "
             "threads) alone: " + ", ".join(f"{o} {v} %" for o, v in split["script_share_pct"].items()) + ".", ""]
    for where, n in total.most_common():
        incl, own = per[where]
        lines += [f"## {where}: {n} samples ({100 * n / sum(total.values()):.1f} %)", ""]
        lines += [f"- {100 * c / n:.0f} % in {fr}" for fr, c in incl.most_common(top)]
        lines += [f"- {100 * c / n:.0f} % self {fr}" for fr, c in own.most_common(3)] + [""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ the chromium client

async def _wait_for_app(page, timeout_ms: float) -> None:
    """Streamlit has finished: connected, the script not running, no status widget (as tests/e2e waits)."""
    await page.wait_for_timeout(150)  # a click's rerun request reaches the server before the state is read
    await page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for(timeout=timeout_ms)
    await page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout_ms)
    await page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stStatusWidget\"]').length === 0", timeout=timeout_ms)


def _offline(text: str) -> bool:
    return "ERR_NAME_NOT_RESOLVED" in text or "ERR_INTERNET_DISCONNECTED" in text


async def chromium_student(browser, url: str, i: int, start_at: float, out: dict) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await ctx.new_page()
    errors: list[str] = out["console_errors"]
    page.on("console", lambda m: m.type == "error" and not _offline(m.text)
            and errors.append(f"{m.text[:300]} ({m.location.get('url', '')[:200]})"))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {str(e)[:300]}"))
    # what Streamlit's frontend asks of other hosts fails here (no network): not the app's error, kept apart
    page.on("requestfailed", lambda r: not r.url.startswith(url) and out["offline"].append(r.url[:200]))
    finished = [0.0]  # when the last run's script_finished reached the page: the light client's end of a step

    def frame(payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished in (0, 3):
                finished[0] = time.monotonic()

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    try:
        for name, kind, target, shown in LESSON:
            t0 = time.monotonic()
            if kind == "open":
                answer = await page.goto(f"{url}/{target}", timeout=STEP_TIMEOUT_S * 1000)
                out["replica"] = answer.headers.get("x-dgm-replica") if answer else None
            elif kind == "nav":
                link = page.locator(f'header [data-testid="stTopNavLink"][href$="/{target}"]').first
                await link.wait_for(state="attached", timeout=STEP_TIMEOUT_S * 1000)
                if await link.evaluate("e => !e.closest('[inert]')"):
                    await link.click(timeout=STEP_TIMEOUT_S * 1000)
                else:  # folded into the top bar's "N more" menu (a narrow window, many pages)
                    await page.locator('header [data-testid="stTopNavSection"]').last.click(
                        timeout=STEP_TIMEOUT_S * 1000)
                    await page.locator(f'[data-testid="stTopNavDropdownLink"][href$="/{target}"]').click(
                        timeout=STEP_TIMEOUT_S * 1000)
            elif kind == "mask":
                await chromium_own_mask(page, target, own_mask_seed(i))
            else:
                await chromium_click(page, name, target, shown, out)
            if shown:
                await page.get_by_text(re.compile(re.escape(shown))).first.wait_for(  # case-sensitive
                    timeout=STEP_TIMEOUT_S * 1000)
            await _wait_for_app(page, STEP_TIMEOUT_S * 1000)
            await page.locator("h1").first.wait_for(timeout=STEP_TIMEOUT_S * 1000)
            out["steps"][name] = round(time.monotonic() - t0, 2)
            if kind == "mask":
                check_own_mask(page.url, i, out)
            if finished[0] > t0:
                out["finished"][name] = round(finished[0] - t0, 2)
            for e in await page.get_by_test_id("stException").all():
                out["exceptions"].append(f"{name}: {(await e.inner_text())[:300]}")
    except Exception as e:  # noqa: BLE001 - a student who got stuck is a result, not a crash of the run
        out["failed"] = f"{type(e).__name__}: {str(e)[:300]}"
        try:  # what the stuck student's page showed, for the record
            shown_text = " ".join((await page.locator("main").first.inner_text(timeout=5_000)).split())
            out["failed"] += f" The page's main area ended: ...{shown_text[-600:]}"
        except Exception:  # noqa: BLE001 - the page itself may be gone
            pass
    finally:
        await ctx.close()


LOST_CLICK_GRACE_S = 30.0  # after a click's rerun, the longest its answer takes to appear before it counts as lost


async def chromium_click(page, name: str, label: str, shown: str | None, out: dict) -> None:
    """Click the button ``label``; where the step's answer is ``shown`` text, a click after which the app went idle
    with neither that text nor the browser panel at work on the page was lost (Streamlit may drop a button's
    trigger that arrives beside another widget's rerun): it is counted in ``out["lost_clicks"]`` and the button
    clicked again, at most three times in all. The step's time runs from the first click."""
    button = page.get_by_role("button", name=label, exact=True).first
    answer = page.get_by_text(re.compile(re.escape(shown))).or_(page.locator(".bi")) if shown else None
    for attempt in range(3):
        await button.click(timeout=STEP_TIMEOUT_S * 1000)
        if answer is None:
            return
        await _wait_for_app(page, STEP_TIMEOUT_S * 1000)
        try:
            await answer.first.wait_for(timeout=LOST_CLICK_GRACE_S * 1000)
            return
        except Exception:  # noqa: BLE001 - nothing came of the click
            out["lost_clicks"].append(name)
            if attempt == 2:
                raise


def student_record(i: int) -> dict:
    """What a run records of student ``i``, empty (each client fills it in as the student goes)."""
    return {"student": i, "steps": {}, "finished": {}, "exceptions": [], "console_errors": [], "offline": [],
            "leaks": [], "lost_clicks": []}


def own_mask_seed(student: int) -> int:
    return 1 + student


def check_own_mask(url_or_query: str, student: int, out: dict) -> None:
    """The student's URL names their own mask seed and preset; anything else came from another session."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url_or_query).query or url_or_query))
    got = (query.get("inp_preset"), query.get("inp_mseed"))
    if got != ("rectangles", str(own_mask_seed(student))):
        out["leaks"].append(f"student {student}: the URL says preset {got[0]}, mask seed {got[1]} after choosing "
                            f"rectangles, seed {own_mask_seed(student)}")


async def chromium_own_mask(page, preset: str, seed: int) -> None:
    """Choose the mask preset in its select, then type the mask seed, as a student does (each is a rerun)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Preset").first
    for attempt in range(3):  # a late rerun can redraw the select and close its list under the click
        await _wait_for_app(page, STEP_TIMEOUT_S * 1000)
        await box.evaluate("e => e.scrollIntoView({block: 'center'})")  # its list opens below it, on screen
        await box.get_by_role("button", name="Open").click(timeout=STEP_TIMEOUT_S * 1000)
        try:
            await page.get_by_role("option").get_by_text(preset, exact=True).click(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - the list closed; open it again
            if attempt == 2:
                raise
    await _wait_for_app(page, STEP_TIMEOUT_S * 1000)
    field = page.get_by_label("Mask seed")
    await field.fill(str(seed), timeout=STEP_TIMEOUT_S * 1000)
    await field.press("Enter")
    await _wait_for_app(page, STEP_TIMEOUT_S * 1000)


async def chromium_class(url: str, n: int, outs: list[dict]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            t0 = time.monotonic()
            await _bounded(asyncio.gather(*(chromium_student(browser, url, i, t0 + i * STAGGER_S / max(1, n - 1),
                                                              outs[i]) for i in range(n))), outs)
        finally:
            await browser.close()


async def _bounded(work, outs: list[dict]) -> None:
    try:
        await asyncio.wait_for(work, RUN_BUDGET_S)
    except asyncio.TimeoutError:
        for o in outs:
            if len(o["steps"]) < len(LESSON) and "failed" not in o:
                o["failed"] = f"cut off after {RUN_BUDGET_S:.0f} s"


# --------------------------------------------------------------------------------------- the light client

def _texts(element) -> list[str]:
    """The visible strings of one element (body, label, value), enough to find a step's result."""
    kind = element.WhichOneof("type")
    inner = getattr(element, kind)
    return [getattr(inner, f) for f in ("body", "label", "value", "message", "text")
            if hasattr(inner, f) and isinstance(getattr(inner, f), str)]


class LightSession:
    """One student as Streamlit's frontend speaks to the server, without a browser: one websocket session,
    a ``rerun_script`` BackMsg per click (the page to show, the query string the app last set, a button's
    trigger), and the ForwardMsgs read back (elements, exceptions, the pages, the end of each run)."""

    def __init__(self, url: str, out: dict):
        self.url, self.out = url, out
        self.pages: dict[str, str] = {}  # url path -> page_script_hash, from the server's navigation message
        self.page, self.query, self.step = "", "", ""
        self.widgets: dict[str, str] = {}  # label -> widget id (buttons, selects, number inputs, radios), latest run
        self.panel: tuple[str, dict] | None = None  # the inpainting page's browser panel: (widget id, its data)
        self.texts: list[str] = []
        self.media: list[str] = []
        self.finished = asyncio.Event()
        self.status = None
        self.cookies: dict[str, str] = {}  # what the page's answer set (behind nginx: the replica to stick to)

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _open_page(self) -> None:
        """GET the app's page as a browser does before it opens the websocket; keep the cookies it sets."""
        with urllib.request.urlopen(self.url + "/", timeout=60) as r:
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            self.out["replica"] = r.headers.get("X-DGM-Replica")
            r.read()

    async def __aenter__(self) -> LightSession:
        import websockets

        await asyncio.to_thread(self._open_page)
        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                           ping_interval=None, additional_headers=self._headers())
        self.reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self.reader.cancel()
        await self.ws.close()

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async for data in self.ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.pages.update({p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages})
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                self.out["console_errors"].append(f"page not found: {msg.page_not_found.page_name}")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                t = el.WhichOneof("type")
                if t == "exception":
                    self.out["exceptions"].append(
                        f"{self.step}: {el.exception.type}: {el.exception.message[:300]}")
                elif t in ("button", "selectbox", "number_input", "radio"):
                    self.widgets[getattr(el, t).label] = getattr(el, t).id
                elif t == "bidi_component" and el.bidi_component.component_name.endswith(PANEL):
                    self.panel = (el.bidi_component.id, json.loads(el.bidi_component.json))
                elif t == "imgs":
                    self.media += [img.url for img in el.imgs.imgs if img.url.startswith("/")]
                if t:
                    self.texts += _texts(el)
            elif kind == "script_finished":
                self.status = msg.script_finished
                if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    self.finished.set()

    async def rerun(self, page: str, button: str | None = None, states: tuple = (), **values) -> None:
        """Run ``page`` again: with a button's trigger, or with widgets set (``values``: label -> WidgetState
        fields, e.g. ``{"Seed": {"int_value": 3}}``; ``states``: (widget id, fields) pairs); the other widgets keep
        their values on the server."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        back = BackMsg()
        cs = back.rerun_script
        cs.page_name = page
        if page in self.pages:
            cs.page_script_hash = self.pages[page]
        cs.query_string = self.query if page == self.page else ""  # a link to another page carries no query
        if button is not None:
            cs.widget_states.widgets.append(WidgetState(id=self.widgets[button], trigger_value=True))
        for label, fields in values.items():
            cs.widget_states.widgets.append(WidgetState(id=self.widgets[label], **fields))
        for wid, fields in states:
            cs.widget_states.widgets.append(WidgetState(id=wid, **fields))
        self.page, self.widgets, self.texts, self.media = page, {}, [], []  # a run sends every element again
        self.panel = None
        self.finished.clear()
        await self.ws.send(back.SerializeToString())
        await asyncio.wait_for(self.finished.wait(), STEP_TIMEOUT_S)
        if self.status not in (0, 3):  # FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_SUCCESSFULLY
            self.out["exceptions"].append(f"{self.step}: the script ended with status {self.status}")
        await asyncio.gather(*(asyncio.to_thread(self._fetch, u) for u in dict.fromkeys(self.media)))

    def fetch_runtime(self, data: dict) -> None:
        """What the student's browser fetches before its worker can run the panel's job ``data`` the first time: the
        runtime's files (static/ort, as its VENDOR.json lists them) and the models' files the job names, one after
        another, accepting gzip as chromium does (it caches them: later Runs fetch nothing)."""
        vendor = json.loads((ROOT / "static" / "ort" / "VENDOR.json").read_text())
        paths = [data["runtime"] + Path(f).name for f in vendor["files"]]
        paths += [v for spec in data["models"].values() for v in spec.values()
                  if isinstance(v, str) and v.startswith("app/static/")]
        got = 0
        for path in paths:
            request = urllib.request.Request(f"{self.url}/{path}", headers={**self._headers(),
                                                                          "Accept-Encoding": "gzip, deflate, br"})
            with urllib.request.urlopen(request, timeout=120) as r:
                got += len(r.read())
        self.out["static_bytes"] = self.out.get("static_bytes", 0) + got

    def _fetch(self, path: str) -> None:
        try:
            urllib.request.urlopen(urllib.request.Request(self.url + path, headers=self._headers()), timeout=60).read()
        except urllib.error.HTTPError as e:  # a browser logs a failed image as a console error
            self.out["console_errors"].append(f"{e.code} {path}")


async def light_student(url: str, i: int, start_at: float, out: dict, own_runs: str = "server",
                        replay: dict | None = None, stop_after: str | None = None) -> None:
    """One student's lesson. ``own_runs``: where the page computes their own mask ("server"; "browser": the browser's
    work is ``replay[job]``, its results and the seconds it took in chromium, sent back after that long)."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    try:
        async with LightSession(url, out) as s:
            for name, kind, target, shown in LESSON:
                s.step = name
                t0 = time.monotonic()
                if kind == "button":
                    await s.rerun(s.page, button=target)
                    if stop_after is not None and s.panel is not None:  # a rehearsal: what the browser is asked
                        out.setdefault("panels", []).append(s.panel[1])
                        if name != stop_after:
                            continue
                    if name == stop_after:
                        return
                    if s.panel is not None and replay is not None:  # the student's browser computes, then answers
                        wid, data = s.panel
                        results, seconds = replay[data["job"]]
                        await asyncio.to_thread(s.fetch_runtime, data)  # its worker loads them, then computes
                        await asyncio.sleep(seconds)
                        text = json.dumps({"job": data["job"], "seconds": seconds, "results": results})
                        answer = {"result": {"job": data["job"], "text": text}}  # as the panel sends it
                        await s.rerun(s.page, states=((wid, {"json_value": json.dumps(answer)}),))
                elif kind == "mask":  # a rerun per widget changed, as the browser sends them
                    await s.rerun(s.page, **{"Preset": {"string_value": target}})
                    await s.rerun(s.page, **{"Mask seed": {"int_value": own_mask_seed(i)}})
                    if own_runs == "server":
                        await s.rerun(s.page, **{"Compute your own runs": {"string_value": "on the server"}})
                    check_own_mask(s.query, i, out)
                else:
                    await s.rerun(target)
                if shown and not any(shown in t for t in s.texts):
                    raise RuntimeError(f"{name}: {shown!r} not shown")
                out["steps"][name] = out["finished"][name] = round(time.monotonic() - t0, 2)
    except Exception as e:  # noqa: BLE001 - as for chromium: a stuck student is a result
        out["failed"] = f"{type(e).__name__}: {str(e)[:300]}"


async def light_class(url: str, n: int, outs: list[dict], own_runs: str = "server",
                      replay: dict | None = None) -> None:
    t0 = time.monotonic()
    await _bounded(asyncio.gather(*(light_student(url, i, t0 + i * STAGGER_S / max(1, n - 1), outs[i], own_runs,
                                                  replay) for i in range(n))), outs)


# ------------------------------------------------------------------------------------ a class poll beside it

POLL_WINDOW_S = 30.0  # the phones answer within this long of the class's start (its first views)


async def poll_phones(url: str, n: int, outs: list[dict], class_done: asyncio.Event, out: dict,
                      seed: int = 0) -> None:
    """``n`` phones in a class poll while the students play, as bench class_poll's phones: before the class a lecturer
    opens a room and a question on the app's own poll routes; each phone loads the join page and its script and
    long-polls the room's state; within POLL_WINDOW_S of the class's start each answers at a random moment (one in
    five changes its answer a second later). ``out``: the answers' latencies and the tally against the receipts."""
    from benchmarks.class_poll import CHANGE_SHARE, QUESTION, Conn, open_room, pct
    from server.poll import poll_dir

    rng = random.Random(seed)
    port = urllib.parse.urlsplit(url).port
    lecturer = Conn(port)
    code, key = open_room(poll_dir())  # opened as the app's Present opens one (no request can open a room)
    await lecturer.request("POST", f"/poll/api/{code}/questions", QUESTION, key=key)
    await lecturer.request("POST", f"/poll/api/{code}/questions/q1/open", {}, key=key)
    state = f"/poll/api/{code}/state"
    t0 = time.monotonic()
    latencies, last, failed = [], {}, []

    async def phone(i: int) -> None:
        page, poll = Conn(port), Conn(port)
        try:
            await asyncio.sleep(rng.uniform(0, STAGGER_S))
            for path in (f"/poll/{code}", "/poll/static/poll.js", "/poll/static/poll.css"):
                await page.request("GET", path)
            token = json.loads((await page.request("POST", f"/poll/api/{code}/join"))[1])["token"]  # the server's
            v = json.loads((await poll.request("GET", state))[1])["version"]

            async def follow(v: int) -> None:  # the join page's long poll, held until the class ends
                while not class_done.is_set():
                    v = json.loads((await poll.request("GET", f"{state}?v={v}&wait=25"))[1]).get("version", v)

            follower = asyncio.create_task(follow(v))
            at = rng.uniform(0, POLL_WINDOW_S - 1.5)
            plan = [(at, rng.randrange(4))] + [(at + 1.0, rng.randrange(4))] * (rng.random() < CHANGE_SHARE)
            for when, value in plan:
                await asyncio.sleep(max(0.0, t0 + when - time.monotonic()))
                sent = time.monotonic()
                status, body = await page.request("POST", f"/poll/api/{code}/answer", {
                    "question": "q1", "round": 1, "token": token, "value": value})
                if status != 200:
                    raise RuntimeError(f"answer refused ({status}): {body[:200]!r}")
                latencies.append(1000 * (time.monotonic() - sent))
                last[i] = value
            await class_done.wait()
            follower.cancel()
        except Exception as e:  # noqa: BLE001 - a phone that failed is a result
            failed.append(f"phone {i}: {type(e).__name__}: {str(e)[:200]}")
        finally:
            page.close()
            poll.close()

    await asyncio.gather(*(phone(i) for i in range(n)))
    s = json.loads((await lecturer.request("GET", state, key=key))[1])
    lecturer.close()
    tally = s["question"]["results"]["rounds"][0]
    out.update({"phones": n, "window_s": POLL_WINDOW_S, "answers": len(latencies),
                "latency_ms": ({"p50": pct(latencies, 50), "p95": pct(latencies, 95), "max": round(max(latencies), 1)}
                               if latencies else None),
                "counted": tally["n"], "phones_with_a_receipt": len(last),
                "tally_matches_receipts": tally["counts"] == [sum(v == k for v in last.values()) for k in range(4)],
                "failed": failed})


async def with_poll(lesson, url: str, phones: int, outs: list[dict], out: dict) -> None:
    """The class's ``lesson`` (a coroutine) with ``phones`` poll phones answering beside it (none: the lesson)."""
    if not phones:
        await lesson
        return
    done = asyncio.Event()

    async def played() -> None:
        try:
            await lesson
        finally:
            done.set()

    await asyncio.gather(played(), poll_phones(url, phones, outs, done, out))


# ------------------------------------------------------------------------ the students' browsers, replayed

# each student's own Run in chromium's worker, as the panel starts it, returned as the panel sends it
# (static/js/kit/typed_json.js)
WORKER_RUN = """async ([src, msg]) => {
  msg.base = location.origin + '/';
  const w = new Worker(new URL(src, location.origin + '/'), {type: 'module'});
  const results = []; let end = null;
  const t0 = performance.now();
  await new Promise((resolve) => {
    w.onmessage = ({ data }) => {
      if (data.type === 'result') results.push(sent(data.result));  // as the panel sends it
      else if (data.type === 'done' || data.type === 'error') { end = data; resolve(); }
    };
    w.onerror = (e) => { end = { type: 'error', message: e.message }; resolve(); };
    w.postMessage({ cmd: 'run', id: msg.job, ...msg, image: typed(msg.image), mask: typed(msg.mask) });  // as the panel
  });
  w.terminate();
  return { results, seconds: (performance.now() - t0) / 1000, error: end.type === 'error' ? end.message : null };
}"""


def rehearse(app_dir: Path, env: dict, n: int, log: Path) -> tuple[dict, dict]:
    """Before the class, on a server of its own (so the class's server shares nothing with it): each student's
    lesson up to their own Run, to learn what their browser's panel is asked (its data), and that work done in
    chromium's worker (a fresh worker each, one at a time, unthrottled). -> {job: (results as the panel sends them,
    seconds)}, and a summary of the seconds."""
    from playwright.sync_api import sync_playwright

    from server.manifest import module_url
    from server.inpaint_job import WORKER_URL
    TYPED_JSON_URL, OWN_RUNS_URL = module_url("kit/typed_json.js"), module_url("kit/own_runs.js")

    outs = [student_record(i) for i in range(n)]
    replay = {}
    with server_for(app_dir)(env=env, log=log) as (url, _):
        async def all_students() -> None:
            for batch in range(0, n, 10):
                await asyncio.gather(*(light_student(url, i, 0.0, outs[i], "browser", None, "own_mask_run")
                                       for i in range(batch, min(n, batch + 10))))
        asyncio.run(all_students())
        failed = [o for o in outs if not o.get("panels")]
        if failed:
            raise RuntimeError(f"rehearsal: {len(failed)} students had no browser panel: {failed[0]}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{url}/app/static/ort/VENDOR.json")
            page.add_script_tag(type="module", content=f"import {{ typed }} from '/{TYPED_JSON_URL}';\n"
                                f"import {{ sent }} from '/{OWN_RUNS_URL}';\n"
                                "window.sent = sent; window.typed = typed;")
            page.wait_for_function("() => window.sent !== undefined && window.typed !== undefined")
            for data in (d for o in outs for d in o["panels"]):
                if data["job"] in replay:
                    continue
                got = page.evaluate(WORKER_RUN, [WORKER_URL, data])
                if got["error"]:
                    raise RuntimeError(f"rehearsal: the worker stopped: {got['error']}")
                replay[data["job"]] = (got["results"], round(got["seconds"], 2))
            browser.close()
    seconds = [s for _, s in replay.values()]
    return replay, {"jobs": len(replay), "p50_s": round(statistics.median(seconds), 2),
                    "max_s": max(seconds), "methods": outs[0]["panels"][-1]["methods"]}


# ------------------------------------------------------------------------------------------- the record

def percentile(values: list[float], q: float) -> float:
    """The q-th percentile, linear between the two nearest ranks."""
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return round(v[lo] + (v[hi] - v[lo]) * (k - lo), 2)


def summarise(outs: list[dict], field: str = "steps") -> dict:
    steps = {}
    for name, *_ in LESSON:
        t = [o[field][name] for o in outs if name in o[field]]
        steps[name] = ({"n": len(t), "p50_s": round(statistics.median(t), 2), "p95_s": percentile(t, 0.95),
                        "max_s": max(t)} if t else {"n": 0})
    return steps


def key(rec: dict) -> str:
    return f"{rec['label']}|students={rec['students']}|replicas={rec['replicas']}|data={rec['data']}|" \
           f"clients={rec['clients']}" + ("|cold" if rec.get("first_visit_before_class") is False else "") \
           + (f"|own_runs={rec['own_runs']}" if "own_runs" in rec else "") \
           + (f"|poll_phones={rec['poll']['phones']}" if "poll" in rec else "") \
           + (f"|server_cores={','.join(map(str, rec['server_cores']))}" if rec["server_cores"] != [SERVER_CORE]
              else "")


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--students", type=int, default=2)
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--clients", choices=("chromium", "light"), default=None,
                   help="default: chromium up to 5 students, light above")
    p.add_argument("--data", action=argparse.BooleanOptionalAction, default=bool(os.environ.get("DGM_DATA_DIR")),
                   help="serve with DGM_DATA_DIR (default: when it is set)")
    p.add_argument("--label", default="final", help="what is measured: baseline (before the serving layer), final")
    p.add_argument("--app-dir", default=str(ROOT), help="the checkout whose app.py to serve (default: this one)")
    p.add_argument("--cold", action="store_true", help="--replicas: no first visit of each replica before the class")
    p.add_argument("--py-spy", dest="py_spy", default=None, help="profile the server(s) into this folder")
    p.add_argument("--own-runs", dest="own_runs", choices=("browser", "server"), default="browser",
                   help="where each student's own mask is computed: in their browser (the page's default; the light "
                        "client replays each student's worker run, rehearsed in chromium before the class), or on "
                        "the server (the page's Settings say so)")
    p.add_argument("--server-cores", dest="server_cores", default=str(SERVER_CORE),
                   help="the server's cores, e.g. 0,1 (the replicas on both; the clients stay on core 1)")
    p.add_argument("--poll-phones", dest="poll_phones", type=int, default=0,
                   help="this many phones answer a class poll (the app's own poll routes) while the students play")


def run(a: argparse.Namespace) -> dict:
    if a.replicas < 1:
        raise BenchError("--replicas is at least 1")
    if a.data and not os.environ.get("DGM_DATA_DIR"):
        raise BenchError("--data needs DGM_DATA_DIR set")
    if len(os.sched_getaffinity(0)) < 2:
        raise BenchError("needs two cores: one for the server, one for the clients")
    clients = a.clients or ("chromium" if a.students <= 5 else "light")
    if clients == "chromium" and a.own_runs == "server":
        raise BenchError("the chromium client plays the page's default (own runs in the browser); use --clients light")
    app_dir = Path(a.app_dir).resolve()
    env = dict(os.environ)
    if not a.data:
        env.pop("DGM_DATA_DIR", None)

    outs = [student_record(i) for i in range(a.students)]
    log = ROOT / ".pytest_cache" / "class_load-server.log"
    log.parent.mkdir(exist_ok=True)
    replay, rehearsal, poll_out = None, None, {}
    if clients == "light" and a.own_runs == "browser":
        replay, rehearsal = rehearse(app_dir, env, a.students, log)
        print(f"rehearsed: {rehearsal}", flush=True)
    t0 = time.monotonic()
    cores = frozenset(int(c) for c in a.server_cores.split(","))
    with pinned_server(app_dir, env, log, a.replicas, not a.cold, cores) as (url, pids):
        started_s = round(time.monotonic() - t0, 2)
        rss_started_mb = round(rss_kb(pids) / 1024, 1)
        affinity = sorted(set().union(*(os.sched_getaffinity(pid) for pid in pids)))
        client_cores = sorted(os.sched_getaffinity(0))
        with RssPoller(pids) as poll, py_spy(pids, Path(a.py_spy) if a.py_spy else None):
            t1 = time.monotonic()
            asyncio.run(with_poll(chromium_class(url, a.students, outs) if clients == "chromium"
                                  else light_class(url, a.students, outs, a.own_runs, replay),
                                  url, a.poll_phones, outs, poll_out))
            wall_s = round(time.monotonic() - t1, 2)
        hwms = [vm_hwm_kb(pid) for pid in pids]
        hwm = None if None in hwms else sum(hwms)
        rss_end_mb = round(rss_kb(pids) / 1024, 1)

    return {"label": a.label, "students": a.students, "replicas": a.replicas, "data": a.data, "clients": clients,
           "own_runs": a.own_runs, **({"browser_replayed": rehearsal} if rehearsal else {}),
           **({"poll": poll_out} if a.poll_phones else {}),
           **({"profile": profile_split(sorted(Path(a.py_spy).glob("server-*.txt")))} if a.py_spy else {}),
           "app_commit": app_commit(app_dir), "lesson": [s[0] for s in LESSON], "stagger_s": STAGGER_S,
           "server_cores": affinity, "client_cores": client_cores,
           **({"first_visit_before_class": not a.cold} if a.replicas > 1 else {}),
           "server_start_s": started_s, "wall_s": wall_s, "rss_started_mb": rss_started_mb,
           "rss_peak_mb": round(poll.peak_kb / 1024, 1), "rss_end_mb": rss_end_mb,
           "static_mb_fetched": round(sum(o.get("static_bytes", 0) for o in outs) / 1e6, 1),
           "server_vm_hwm_mb": None if hwm is None else round(hwm / 1024, 1),
           "steps": summarise(outs), "script_finished": summarise(outs, "finished"),
           "exceptions": [e for o in outs for e in o["exceptions"]],
           "console_errors": [e for o in outs for e in o["console_errors"]],
           "leaks": [e for o in outs for e in o["leaks"]],
           "lost_clicks": [f"student {o['student']}: {n}" for o in outs for n in o["lost_clicks"]],
           "offline_requests": sorted({u for o in outs for u in o["offline"]}),
           "failed": {o["student"]: o["failed"] for o in outs if "failed" in o},
           "students_per_replica": dict(sorted(Counter(str(o.get("replica")) for o in outs).items())),
           "sessions": outs}


def report(doc: dict) -> str:
    records = doc["records"]
    lines = ["# A lesson played by a class", "",
             "Each student, in one session: " + " → ".join(name for name, *_ in LESSON)
             + " (earlier records: the steps their table "
             "lists). The server runs on "
             "one core, the clients on the other; the students start within "
             f"{STAGGER_S:g} s of each other. Time per step from the click to the result shown, over the students "
             "(p50 / p95 / max, seconds). `chromium`: real pages; `light`: Streamlit's websocket protocol, no browser.",
             ""]
    order = sorted(records.values(), key=lambda r: (r["label"] != "baseline", r["label"], r["data"] is False,
                                                     r["replicas"], r["students"], r["clients"]))
    for r in order:
        lines += [f"## {r['label']}: {r['students']} student{'s' if r['students'] != 1 else ''}, {r['clients']}, "
                  f"{r['replicas']} replica{'s' if r['replicas'] != 1 else ''}"
                  f"{' behind nginx' if r['replicas'] > 1 else ''}"
                  f"{', cold' if r.get('first_visit_before_class') is False else ''}"
                  f", {'with' if r['data'] else 'without'} DGM_DATA_DIR"
                  + (f", own masks computed {'in the browser' if r['own_runs'] == 'browser' else 'on the server'}"
                     if "own_runs" in r else "")
                  + (f", a {r['poll']['phones']}-phone poll beside it" if "poll" in r else "") + " "
                  f"(app {r['app_commit']})",
                  "", f"`{r['command']}`", "",
                  "| step | p50 (s) | p95 (s) | max (s) | students done | p50 / max to script_finished (s) |",
                  "|---|---|---|---|---|---|"]
        for name, s in r["steps"].items():
            f = r["script_finished"][name]
            fin = f"{f['p50_s']} / {f['max_s']}" if f["n"] else "–"
            lines.append(f"| {name} | {s['p50_s']} | {s['p95_s']} | {s['max_s']} | {s['n']} | {fin} |" if s["n"] else
                         f"| {name} | – | – | – | 0 | – |")
        if b := r.get("browser_replayed"):
            lines += ["", f"Each student's browser work ({', '.join(b['methods'])}) was rehearsed in chromium's "
                      f"worker before the class ({b['jobs']} runs, median {b['p50_s']} s, max {b['max_s']} s, "
                      "unthrottled) and is replayed: after Run the student waits that long, then sends the panel's "
                      "results as the browser would; own_mask_run includes that wait."]
        if q := r.get("poll"):
            lat = q["latency_ms"] or {}
            lines += ["", f"Beside the class, {q['phones']} phones answered a poll on the app's own routes within "
                      f"{q['window_s']:g} s of its start, their long polls held throughout: {q['answers']} answers, "
                      f"p50 {lat.get('p50')} ms, p95 {lat.get('p95')} ms; {q['counted']} counted for "
                      f"{q['phones_with_a_receipt']} phones with a receipt (tally matches: "
                      f"{'yes' if q['tally_matches_receipts'] else 'no'}); phones that failed: {len(q['failed'])}."]
        lines += ["", f"Server start {r['server_start_s']} s; resident memory {r['rss_started_mb']} MB after start, "
                  f"**peak {r['rss_peak_mb']} MB** (VmHWM of the server process"
                  f"{'es, summed' if r['replicas'] > 1 else ''} {r['server_vm_hwm_mb']} MB), "
                  f"{r['rss_end_mb']} MB at the end; the lesson took {r['wall_s']} s for the class.",
                  f"Exceptions shown: {len(r['exceptions'])}; console errors: {len(r['console_errors'])}; "
                  f"students who did not finish: {len(r['failed'])}"
                  + (f"; leaks between sessions: {len(r['leaks'])}" if "leaks" in r else "")
                  + (f"; clicks lost (nothing came of them; clicked again): {len(r['lost_clicks'])}."
                     if "lost_clicks" in r else ".")
                  + (f" Requests to other hosts that failed offline (not the app's): {len(r['offline_requests'])}."
                     if r["offline_requests"] else "")
                  + (f" Students per replica: {', '.join(f'{k} {v}' for k, v in r['students_per_replica'].items())}; "
                     f"every process on core{'s' if len(r['server_cores']) > 1 else ''} "
                     f"{', '.join(map(str, r['server_cores']))}; "
                     + ("each replica had one first visit before the class (server/replicas.py)."
                        if r.get("first_visit_before_class") else "no replica had a visit before the class.")
                     if r["replicas"] > 1 else "")]
        for what in ("exceptions", "console_errors", "leaks", "lost_clicks"):
            lines += [f"- {e}" for e in list(dict.fromkeys(r.get(what, [])))[:5]]
        lines += [f"- student {i}: {f}" for i, f in r["failed"].items()]
        lines += ["", machine_line(r["machine"]), ""]
    return "\n".join(lines)


BENCH = bench(run, report, options=options, merge=keyed(key), ok=lambda r: not r["failed"])


if __name__ == "__main__":
    raise SystemExit(BENCH.main())

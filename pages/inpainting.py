"""Inpainting: pick or draw an image, hide part of it, and compare how each method fills the hole."""
import streamlit as st
import torch

from dgm_core import masks
from dgm_core.controls import resolve
from dgm_core.demos.inpainting import CONTROLS as SPEC, DATASETS, PREFIX as P, settings_from
from dgm_core.methods import INPAINTING
from server import inpaint_job
from ui import browser_inpaint as bi
from ui import jobs, serving
from ui.controls import values, widget
from ui.image_source import default_note, image_picker
from ui.imaging import to_pil
from ui.inpainting_view import estimate_caption, results_details, results_view
from ui.mask_editor import mask_editor
from ui.pages import setup_page
from ui.run import Kept, run_button, shared_result
from ui.state import sync_url, url_state

setup_page()

s = st.session_state
# Chains on faces are fewer and shorter by default (their controls' defaults depend on the data set), set when
# the data set changes and on a first load whose link sets none of these.
CHAIN_KEYS = ("chains", "steps", "burn")
WANTED = "_inp_wanted"  # every method the student chose, on any data set
# nothing on screen reads them
PRE_RUN = ("steps", "chains", "burn", "ns", "init", "warm", "seed", "kernel", "fsteps", "parts", "lmoves")


def dataset_defaults(chains: bool = True, image: bool = True) -> None:
    got = {"ds": s[P + "ds"]}
    for key in CHAIN_KEYS * chains + ("idx",) * image:  # each data set opens on its own recorded default image
        s[P + key] = resolve(SPEC[key].default, got)


first_load = not s.get(f"_{P}url_loaded")
url_state(SPEC, P)
if first_load:  # the link's data set may not be MNIST, whose defaults url_state gave the keys the link leaves out
    dataset_defaults(chains=not any(P + key in st.query_params for key in CHAIN_KEYS),
                     image=P + "idx" not in st.query_params)
for key, default in (("tool", "Brush"), ("brush", 24), ("mask_black", False)):
    s.setdefault(P + key, default)

st.title("Inpainting")
st.markdown(
    "Hide part of an image and let deep latent variable models fill it in: an **exact** sampler of the VAE's "
    "conditional p(x_missing | x_observed) (Mattei & Frellsen 2018; its z-moves here are Hamiltonian Monte Carlo "
    "by default), **pseudo-Gibbs** (the encoder's draws kept without a test), **MIWAE** importance sampling, "
    "**DMFA**, and on MNIST a **flow-matching** model that fills the hole along its path, either by replacement "
    "(approximate: it targets no model's conditional) or by a **particle filter**, plain or **twisted**, that "
    "targets the flow's own. "
    "Metrics are on the missing pixels only; the diagnostics under the set-up say whether the chains mixed."
)

# Each method's fill goes above the set-up once there is a run: on a 1280×720 projector it is then on the
# first screen after Run, and the controls only move down by its height; the details go below them.
results_slot = st.container(key="inp_results")  # above the set-up: the results on the first screen
c_img, c_mask, c_run = st.columns([1, 1, 1.15], gap="medium")
with c_img:
    st.subheader("1 · Image")
    dataset = widget(SPEC, P, "ds", on_change=dataset_defaults)
    image, image_what = image_picker(dataset, P)
    if image is not None:
        st.image(to_pil(image, 8 if image.shape[-1] <= 32 else 4), caption=image_what, width=224)
        if s[P + "src"] == "Gallery" and (note := default_note(dataset, s[P + "idx"])):
            st.caption(note)
with c_mask:
    st.subheader("2 · Mask")
    mask, mask_what = (None, "")
    if image is None:
        st.info("Choose an image first.")
    else:
        mask, mask_what = mask_editor(image, dataset, P)
        if mask is None:
            st.info("Paint over the image (or pick a preset) to choose the pixels to hide.")
        else:
            try:
                masks.validate(mask)
                st.image(to_pil(masks.overlay(image, mask), 8 if image.shape[-1] <= 32 else 4), width=224,
                         caption=f"{mask_what}: {masks.missing_fraction(mask):.0%} of pixels missing (red)")
            except masks.MaskError as e:
                st.error(str(e))
                mask = None

with c_run:
    st.subheader("3 · Methods")
    offered = resolve(SPEC["methods"].choices, {"ds": dataset})
    # the methods the student wants, those this data set has no model for included: they come back on one that has
    if first_load or WANTED not in s:
        s[WANTED] = list(s[P + "methods"])
    s[P + "methods"] = [m for m in s[WANTED] if m in offered]  # before the widget: this data set's of them

    def keep_wanted() -> None:
        s[WANTED] = [m for m in INPAINTING if m in s[P + "methods"] or (m in s[WANTED] and m not in offered)]

    chosen = widget(SPEC, P, "methods", on_change=keep_wanted)
    if len(offered) < len(INPAINTING):
        st.caption("Not offered on " + DATASETS[dataset] + ": " + ", ".join(m.label for m in INPAINTING.values()
                   if m.id not in offered) + " (no model of theirs was trained on this data set).")
    with st.expander("What each method does"):
        for m in chosen:
            st.markdown(f"**{INPAINTING[m].label}**: {INPAINTING[m].blurb}")
    with st.expander("Settings"):
        c = st.columns(2)
        for i, key in enumerate(PRE_RUN):  # read when Run is pressed: a change costs no rerun
            widget(SPEC, P, key, c[i % 2], on_change="ignore")
        where = widget(SPEC, P, "where", horizontal=True)

settings = None
try:
    settings = settings_from(values(SPEC, P))
except ValueError as e:
    st.error(str(e))

ready = image is not None and mask is not None and settings is not None and bool(chosen)


def run(methods=None):  # shared by every session asking for these inputs, queued with the server's other heavy runs
    return jobs.inpainting(chosen if methods is None else methods, image, mask, dataset=dataset, settings=settings,
                           what=f"{image_what}, {mask_what}")


# A student's own Run: the methods the visitor's browser can run go to it (ui/browser_inpaint.py, a Web Worker); the
# rest (a model with no browser export) to the server. The server's part is kept with the Run's inputs until the
# browser sends its results, then the two make one result. A view the shared cache holds (a lesson's) is shown as it is.
BROWSER = P + "browser"
in_browser = [m for m in chosen if m in inpaint_job.browser_methods(dataset)] if where == "browser" else []


def own_run() -> str:
    """What identifies this Run's inputs (the browser's part starts again when they change)."""
    return inpaint_job.job_id(image, mask, list(chosen), settings, dataset, {"where": where})


def run_own():
    if not in_browser:
        return run()
    server = [m for m in chosen if m not in in_browser]
    part = serving.run(run(server), key=P + "run", label="Run")[0] if server else None
    s[BROWSER] = (own_run(), ("server", part.rows, part.problems) if part else None)
    return None


def current(results) -> bool:
    """Whether ``results`` were computed for what the page shows now."""
    return (results.dataset == dataset and image is not None and mask is not None
            and torch.equal(results.image, image) and torch.equal(results.mask, mask)
            and results.methods == list(chosen) and results.settings == settings)


with c_run:
    kept = run_button("Run", key=P + "run", inputs=None, compute=run_own, rerun=True, disabled=not ready,
                      type="primary", width="stretch")
    results = kept.value if kept else None
    if ready and (results is None or not current(results)) and (hit := shared_result(run(), P + "run")):
        kept, results = hit, hit.value  # this view was computed already (a lesson's step, at server start): shown
    if ready and (asked := s.get(BROWSER)) and asked[0] == own_run() and in_browser:
        got = bi.browser_run(image, mask, in_browser, settings, dataset=dataset, key=P + "bi")
        if err := bi.browser_error(P + "bi"):  # no WebAssembly, or a model that would not load: the server's turn
            said = f"This browser could not run the samplers ({err}), so the server ran them."
            st.warning(said)
            fallback = serving.run(run(in_browser), key=P + "run", label="Run")[0]
            got = {"rows": fallback.rows, "problems": [said, *fallback.problems], "where": "server"}
        if got:  # one result, kept as a Run keeps one, drawn in the results' place above in this same run
            parts = [(got.get("where", "browser"), got["rows"], got.get("problems", []))] + [asked[1]] * bool(asked[1])
            results = inpaint_job.merged(list(chosen), image, mask, dataset=dataset, settings=settings,
                                what=f"{image_what}, {mask_what}", parts=parts, job=got.get("job", ""))
            kept = s[P + "run_result"] = Kept(None, results)
            del s[BROWSER]
            bi.forget(P + "bi")  # one copy of the rows per student, the page's
    if kept and kept.ran:
        together = results.batched - 1  # the server's chains, batched with other students' Runs
        st.caption(serving.caption(kept.ran) + (f" Its chains ran in one batch with {together} other Run"
                                                f"{'s' * (together > 1)} waiting for the same model."
                                                if together > 0 else ""))
    elif results and (note := bi.where_caption(results)):
        st.caption(note)
    if ready and in_browser and not (results and results.dataset == dataset):  # the server's times say nothing here
        st.caption(bi.plan_caption(in_browser, [m for m in chosen if m not in in_browser]) + " "
                   + bi.download_caption(dataset, in_browser))
    elif ready:
        st.caption(estimate_caption(chosen, settings, dataset, results))
    elif not chosen:
        st.caption("Run is disabled: choose at least one method above.")

if results:
    with results_slot:
        results_view(results, current(results))
        st.divider()
    results_details(results, P)

sync_url(SPEC, P)

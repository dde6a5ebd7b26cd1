"""The inpainting page's view: its descriptor (``PAGE``); its results (comparison grid, metrics table, the samplers'
insides, downloads), sized for a 1280×720 projector, the chain player a fragment, so its slider reruns only the
player; its slide views (the fills, their spread, the draws) and their facts; its warm-up jobs.
"""
from __future__ import annotations

import html
import io
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st
import torch

from dgm_core import masks, pretrained, results
from dgm_core.demos import inpainting as demo
from dgm_core.demos.inpainting import BINARY, DATASETS, ChainTrace, PageRun, Settings
from dgm_core.imputation import ChainDiagnostics, FactorDiagnostics
from dgm_core.samplers.flow_smc import SMCDiagnostics
from dgm_core.methods import INPAINTING, inpainting_label
from dgm_core.models.digits import read_digits, read_each
from server import Job
from ui import jobs, serving, slides
from ui.browser_inpaint import fill_grid
from ui.chain_player import chain_player, payload
from ui.descriptor import Page
from ui.imaging import colour_bar, colour_map, grid_png, png_bytes, to_pil
from ui.loaders import model
from ui.slides import GAP, Facts, Stage, View

GRID = 7  # cells per row: the original and all six methods in one row (~150 px each on 1280 px)

# What each metric means, for the table's tooltips: (column title with its unit, help)
METRICS = {
    "F1": ("F1 (missing pixels)", "F1 score of ink on the missing pixels, the fill thresholded at 0.5. Higher is "
                                  "better. A faint stroke below 0.5 everywhere counts as no ink, so F1 can be 0."),
    "accuracy": ("accuracy", "Fraction of missing pixels right after thresholding the fill at 0.5. Higher is better."),
    "MSE": ("MSE", "Mean squared error on the missing pixels, intensities in [0, 1]. Lower is better."),
    "PSNR (dB)": ("PSNR (dB)", "Peak signal-to-noise ratio on the missing pixels. Higher is better."),
    "SSIM": ("SSIM (whole image)", "Structural similarity of the completed image with the original, 1 = same."),
    "NLL (nats)": ("NLL (nats)", "−log p(true missing pixels | observed pixels), summed over the missing pixels: "
                                 "how surprised the model is by the truth. Lower is better."),
    "NLL density (nats)": ("NLL (nats, density)", "−log of the Gaussian density of the true missing pixels given "
                                                  "the observed ones, summed over the missing pixels. Lower is "
                                                  "better; a density, so it can be negative."),
    "time (s)": ("time (s)", "Wall time of this method on this server, seconds."),
}


def benchmark_note(kernel: str, dataset: str) -> str | None:
    """What ``bench inpainting`` found for this z-kernel (no warm start): where it loses, whether it mixed; None
    for a data set the benchmark did not run on."""
    if dataset == "celeba":
        return _faces_note(kernel)
    try:
        data = results.inpainting()
        s = data.summary[kernel]
        rows = {(r["dataset"], r["mask"]): r for r in data.records
                if r.get("kernel") == kernel and r["warm_start"] == 0 and r["dataset"] != "celeba"}
    except (results.ResultsError, KeyError, TypeError):
        return None
    if dataset not in {ds for ds, _ in rows}:
        return None
    note = (f"In `python -m dgm_core bench inpainting` (the first {next(iter(rows.values()))['n_images']} test "
            f"images of MNIST and Omniglot, 5 masks, 3 seeds, no warm start), {inpainting_label('mwg', kernel)} "
            f"scores at or above pseudo-Gibbs in {s['settings_at_or_above_pseudo_gibbs']} of {s['settings']} "
            f"settings; its lowest acceptance rate in any setting is {s['acceptance_min']:.3f}.")
    if s["losses"]:
        lost = [rows[(loss["dataset"], loss["mask"])] for loss in s["losses"]]
        note += " It loses on " + ", ".join(f"{r['dataset']} {r['mask']} ({r['gain_vs_pseudo_gibbs']:+.3f} F1, "
                                             f"Bonferroni p {r['p_bonferroni']:.2g})" for r in lost)
        if all(r["rhat_median"] < 1.1 for r in lost):
            note += (", where its chains had mixed (median split-R̂ "
                     + ", ".join(f"{r['rhat_median']:.3f}" for r in lost)
                     + "): there the model's exact conditional itself scores lower than pseudo-Gibbs's "
                       "approximation, not a sampler that failed.")
            note += _blur_note(kernel, lost)
        else:
            note += "; its chains had not all mixed there (see split-R̂ in `benchmarks/results/inpainting.md`)."
    return note


def _faces_note(kernel: str) -> str | None:
    """What ``bench inpainting_fills`` found on faces for this z-kernel against the neighbour fill, and why it loses
    where it does (its chains had not mixed, or they had and the model's conditional itself scores lower)."""
    try:
        rows = results.inpainting_fills()
    except results.ResultsError:
        return None
    fill = INPAINTING.label("neighbour_fill")
    masks = [mask for mask, method in rows if method == fill]
    mine = {mask: rows.get((mask, f"MWG {kernel}")) for mask in masks}
    if not masks or None in mine.values():
        return None
    lost = [m for m in masks if mine[m]["score_mean"] >= rows[(m, fill)]["score_mean"]]
    n = rows[(masks[0], fill)]["n_images"]
    note = (f"In `python -m dgm_core bench inpainting_fills` (the first {n} CelebA test faces, {len(masks)} masks), "
            f"{inpainting_label('mwg', kernel)} beats the neighbour fill on {len(masks) - len(lost)} of {len(masks)}.")
    if not lost:
        return note
    mse = "; ".join(f"{m}: {mine[m]['score_mean']:.4f} against {rows[(m, fill)]['score_mean']:.4f}, split-R̂ "
                    f"{mine[m]['rhat_median']:.2f}" for m in lost)
    note += f" Its MSE where it loses: {mse}."
    unmixed = [m for m in lost if mine[m]["rhat_median"] >= 1.1]
    if unmixed:
        note += (f" On {', '.join(unmixed)} its chains had not mixed (split-R̂ above 1.1): their average is not yet "
                 "the model's conditional mean, so that loss is the sampler's within the benchmark's steps.")
    if mixed := [m for m in lost if m not in unmixed]:
        note += (f" On {', '.join(mixed)} they had: there the face VAE's exact conditional itself scores below the "
                 "neighbour fill, not a sampler that failed.")
    return note


def _blur_note(kernel: str, lost: list[dict]) -> str:
    """Why it loses, from ``bench inpainting_blur`` (averaged imputation against single draws); "" if unmeasured."""
    try:
        rows = results.inpainting_blur()
    except results.ResultsError:
        return ""
    parts = []
    for r in lost:
        ex, pg = rows.get((r["dataset"], r["mask"], kernel)), rows.get((r["dataset"], r["mask"], "pseudo"))
        if ex and pg:
            parts.append(f"on {r['dataset']} {r['mask']} one draw scores F1 {ex['f1_single_draw']:.3f} against "
                         f"pseudo-Gibbs's {pg['f1_single_draw']:.3f}, but the averaged imputation keeps "
                         f"{ex['ink_ratio']:.0%} of the true ink against pseudo-Gibbs's {pg['ink_ratio']:.0%}")
    if not parts:
        return ""
    return (" Why (`python -m dgm_core bench inpainting_blur`): " + "; ".join(parts) + ". Single draws score "
            "close to pseudo-Gibbs's; it is the average over a chain that moves between several plausible strokes "
            "that blends them into faint ones under the 0.5 threshold.")


def method_label(res) -> str:
    d = res.diagnostics
    return inpainting_label(res.method, d.kernel if isinstance(d, ChainDiagnostics) else None)


def _chain_work(s: Settings) -> int:
    return (s.warm_start + s.steps) * s.chains


def estimate_caption(chosen: list[str], settings: Settings, dataset: str, last: PageRun | None) -> str:
    """Run's expected time on this server: the last run per method, chains scaled by (warm start + steps) × chains;
    else the recent runs on this data set here; never a benchmark's figure from a quiet machine."""
    if last and last.dataset == dataset:
        times = {res.method: res.seconds for res, _, _ in last.rows}
        if all(m in times for m in chosen):
            scale = _chain_work(settings) / max(1, _chain_work(last.settings))
            est = sum(times[m] * (scale if last.traces.get(m) is not None else 1.0) for m in chosen)
            return f"Expected time: about {est:.0f} s (from your last run on {DATASETS[dataset]})." if est >= 1 \
                else "Expected time: under a second (from your last run)."
    typical = serving.shared().queue.typical(f"inpainting {dataset}")
    if typical is None:
        return ""
    return (f"Recent runs on {DATASETS[dataset]} took {typical:.1f} s on average on this server, whatever their "
            "settings; longer chains take longer in proportion, and a busy server queues runs.")


def key_figure(metrics: dict[str, float]) -> str:
    return f"F1 {metrics['F1']:.2f}" if "F1" in metrics else f"MSE {metrics['MSE']:.4f}"


def drawn(results: PageRun, name: str, make):
    """``make()``, the picture or panel payload ``name`` of ``results``, made on the first rerun that shows them and
    kept with them: every later rerun, of this session or of any other showing the same results (a lesson's shared
    run, held once for the whole class), sends the same bytes instead of encoding them again."""
    kept = results.__dict__.setdefault("_drawn", {})
    if name not in kept:
        kept[name] = make()
    return kept[name]


def _png(x: torch.Tensor, side: int = 224) -> bytes:
    """One grid picture as PNG bytes: magnified with crisp pixels to at least ``side`` px."""
    return png_bytes(to_pil(x, max(1, math.ceil(side / x.shape[-1]))))


def cell_labels(rows: list) -> list[tuple[str, str | None, bool, str]]:
    """The grid's cells in words: (title, the method or None for the original, whether it has a spread, a note with
    its score)."""
    cells: list[tuple[str, str | None, bool, str]] = [("original", None, True, "below: missing in red")]
    for res, m, _ in rows:
        has = float(res.std.max()) > 0
        cells.append((method_label(res), res.method, has, key_figure(m) + ("" if has else " · point fill, no spread")))
    return cells


def fill_cells(rows: list, image: torch.Tensor, mask: torch.Tensor
               ) -> list[tuple[str, torch.Tensor, torch.Tensor | None, str]]:
    """The pictures of a run, the page's grid's and the lecture slides' (ui/slides.py): (title, the original or a
    method's fill, the input or the fill's spread on one colour scale (None: a point fill), a note with its score)."""
    vmax = spread_max(rows)
    fills = {res.method: res for res, _, _ in rows}
    cells = []
    for title, method, has, note in cell_labels(rows):
        if method is None:
            cells.append((title, image, masks.overlay(image, mask), note))
        else:  # a mean outside [0, 1] is clipped, as a pixel is
            res = fills[method]
            cells.append((title, res.mean[0], colour_map(res.std[0], vmax) if has else None, note))
    return cells


def spread_max(rows: list) -> float:
    """The top of the spreads' one colour scale."""
    return max([float(res.std.max()) for res, _, _ in rows] + [1e-6])


SPREAD_CAPTION = ("Lower pictures: the spread of each method, the standard deviation of every missing pixel under its "
                  "conditional distribution, on one colour scale for all methods (dark = sure). Fills are the "
                  "conditional mean.")


def comparison_grid(results: PageRun) -> None:
    """Original and input, then each method's fill with its spread beneath, on one colour scale. A Run computed in
    the visitor's browser is drawn there, from its own arrays (``browser_inpaint.fill_grid``); the server's pictures
    are made once per result (``drawn``)."""
    rows = results.rows
    vmax = spread_max(rows)
    if results.browser_job and all(results.computed_in.get(res.method) == "browser" for res, _, _ in rows) \
            and fill_grid(results.browser_job, tuple(results.image.shape), cell_labels(rows), vmax, SPREAD_CAPTION,
                          key="inp_fill_grid"):
        return

    def pictures():
        return [(title, _png(top), None if bottom is None else _png(bottom), note)
                for title, top, bottom, note in fill_cells(rows, results.image, results.mask)]
    cells = drawn(results, "grid", pictures)
    grid = st.container(key="inp_grid")  # on a phone, a row that swipes sideways (ui/app.css), not a long column
    for start in range(0, len(cells), GRID):
        cols = grid.columns(max(5, min(GRID, len(cells))), gap="small")
        for col, (title, top, bottom, note) in zip(cols, cells[start:start + GRID]):
            # a title box of fixed height (four lines: a title and a note of two each), so the pictures of a
            # row stay aligned
            col.markdown(f'<div style="height:5em;line-height:1.25;overflow:hidden"><b>{html.escape(title)}</b>'
                         f'<br><span style="opacity:0.7">{html.escape(note)}</span></div>', unsafe_allow_html=True)
            col.image(top, width="stretch", output_format="PNG")
            if bottom is not None:
                col.image(bottom, width="stretch", output_format="PNG")
    c1, c2 = st.columns([2, 3], vertical_alignment="center")
    c1.image(drawn(results, "colour bar", lambda: png_bytes(colour_bar(vmax))), width="stretch",
             output_format="PNG")
    c2.caption(SPREAD_CAPTION.replace("the spread", "the **spread**"))


def metrics_table(rows: list, dataset: str) -> pd.DataFrame:
    """One row per method; the NLL column holds one quantity per data set (see the caption)."""
    binary = BINARY[dataset]
    records = []
    for res, m, _ in rows:
        rec = {"method": method_label(res)}
        for k, v in m.items():
            if binary and k == "NLL density (nats)":
                continue  # a Gaussian density on 0/1 pixels is not a probability: not comparable
            rec[METRICS.get(k, (k, ""))[0]] = v
        records.append(rec)
    table = pd.DataFrame(records).set_index("method")
    config = {title: st.column_config.NumberColumn(title, help=help_, format="%.4f" if k == "MSE" else "%.3f")
              for k, (title, help_) in METRICS.items() if title in table.columns}
    st.dataframe(table, column_config=config, width="stretch")
    if binary and any(isinstance(res.diagnostics, FactorDiagnostics) for res, _, _ in rows):
        st.caption("DMFA and MFA model pixels as Gaussian: their density of 0/1 pixels is not a probability, "
                   "so they have no NLL on binary images.")
    return table


def _nll(m: dict[str, float]) -> float | None:
    return m.get("NLL (nats)", m.get("NLL density (nats)"))


def nll_note(rows: list, mask: torch.Tensor) -> str | None:
    """What pseudo-Gibbs's NLL measures, with this run's figures; None when it has none."""
    nll = {res.method: _nll(m) for res, m, _ in rows if _nll(m) is not None}
    if "pseudo_gibbs" not in nll:
        return None
    pg = nll["pseudo_gibbs"]
    channels = next(res.mean.shape[1] for res, _, _ in rows)
    n = int((~mask).sum()) * channels
    note = (f"**Pseudo-Gibbs's NLL** ({pg:,.0f} nats, {pg / n:.1f} per missing value) scores the truth under the "
            "mixture of the decoder's distributions at the states its chains visited, not under the model's "
            "conditional p(x_missing | x_observed): without an accept/reject step its chains do not sample that "
            "conditional.")
    others = {k: v for k, v in nll.items() if k != "pseudo_gibbs"}
    if others and pg > max(others.values()):
        nxt = max(others, key=others.get)
        note += (f" It is the largest NLL here, {pg - others[nxt]:,.0f} nats above the next ({INPAINTING.label(nxt)}, "
                 f"{others[nxt]:,.0f}): every state its chains visited puts the true pixels far off.")
    if "mwg" in nll:
        note += (f" The exact sampler's figure ({nll['mwg']:,.0f}) is the same average over a chain that targets the "
                 "model's conditional.")
    return note


def simple_fill_note(rows: list, dataset: str) -> str | None:
    """When a fill without a model beats every model on the key metric: by how much, and what that means."""
    key, higher = ("F1", True) if BINARY[dataset] else ("MSE", False)
    scored = [(res, m[key]) for res, m, _ in rows if key in m]
    simple = [(res, v) for res, v in scored if INPAINTING[res.method].family is None]
    models = [(res, v) for res, v in scored if INPAINTING[res.method].family is not None]
    if not simple or not models:
        return None
    pick = max if higher else min
    fill, v_fill = pick(simple, key=lambda rv: rv[1])
    model, v_model = pick(models, key=lambda rv: rv[1])
    if (v_fill <= v_model) if higher else (v_fill >= v_model):
        return None
    fmt = ".3f" if higher else ".4f"
    note = (f"**{method_label(fill)}** scores the best {key} here: {v_fill:{fmt}}, against {v_model:{fmt}} for the "
            f"best model ({method_label(model)}).")
    if fill.method == "neighbour_fill":
        note += (" It spreads the pixels around the hole inward, which is close to the truth where the hidden part "
                 f"continues what surrounds it, and {key} rewards a smooth guess over a sharp one in the wrong place.")
    else:
        note += (f" One value everywhere is a cautious guess, and {key} rewards caution over a sharp guess in the "
                 "wrong place.")
    unmixed = [(res, float(res.diagnostics.rhat.max())) for res, _ in models
               if isinstance(res.diagnostics, ChainDiagnostics) and float(res.diagnostics.rhat.max()) > 1.1]
    if unmixed:
        note += (" The chains of " + " and of ".join(f"{method_label(r)} (split-R̂ {rh:.2f})" for r, rh in unmixed)
                 + " had not mixed: longer chains or more burn-in may change the ranking.")
    note += " The models draw what they find plausible for the whole image: compare the pictures, not only the number."
    return note


def spread_ratios(dataset: str) -> dict[str, tuple[float, float, int, int]]:
    """On faces, per method label: the lowest and highest ratio of its spread's variance to its squared error over
    ``bench inpainting_fills``'s masks (1 = calibrated), its faces and masks; {} without the file or off faces."""
    if dataset != "celeba":
        return {}
    try:
        recs = results.inpainting_fills()
    except results.ResultsError:
        return {}
    by: dict[str, list[dict]] = {}
    for (_, method), r in recs.items():
        if "spread_ratio" in r:
            by.setdefault(method, []).append(r)
    return {m: (min(r["spread_ratio"] for r in rs), max(r["spread_ratio"] for r in rs), rs[0]["n_images"], len(rs))
            for m, rs in by.items()}


def spread_note(rows: list, dataset: str) -> str | None:
    """On faces: how far each spread shown here is from the squared error it should match (``spread_ratios``)."""
    ratios, said = spread_ratios(dataset), []
    for res, _, _ in rows:
        if (r := ratios.get(INPAINTING.label(res.method))) is None:
            continue
        lo, hi, n, n_masks = r
        verdict = ("its spread and draws overstate how unsure it should be" if lo > 2 else
                   "too narrow a spread" if hi < 0.5 else "too wide on some masks" if hi > 2 else
                   "near on some masks, too narrow on others")
        said.append(f"**{method_label(res)}** {lo:.1f} to {hi:.1f} times, {verdict}")
    if not said:
        return None
    return (f"On the first {n} CelebA test faces and {n_masks} masks (`python -m dgm_core bench inpainting_fills`), "
            "a missing pixel's predicted variance against its squared error (1 = calibrated): " + "; ".join(said) + ".")


def what_to_notice(rows: list, traces: dict[str, ChainTrace], dataset: str, mask: torch.Tensor) -> None:
    """Plain-words notes where a result needs one, each from this run's figures: a chain that did not move, an F1
    of 0, a fill without a model that wins, what pseudo-Gibbs's NLL is; on faces, how calibrated each spread is."""
    notes = []
    for res, m, _ in rows:
        if isinstance(res.diagnostics, ChainDiagnostics):  # the chains' mixing verdict, one image
            notes.append(f"**{method_label(res)}**: {res.diagnostics.verdict[0]}")
        if m.get("F1") == 0.0:
            notes.append(f"**{method_label(res)}** has F1 = 0: every missing pixel's probability of ink "
                         "is below 0.5, so the thresholded fill has no ink at all, even if the fill shows a "
                         "faint stroke.")
    if any(res.method == "flow" for res, _, _ in rows):
        notes.append("**Exact against approximate.** The exact sampler's chain targets the VAE's own conditional "
                     "p(x_m | x_o); the flow's replacement path only pins the observed pixels along its way, so it "
                     "does not target even its own model's conditional: a sharp fill can still disagree with what "
                     "is observed.")
    notes += [n for n in (simple_fill_note(rows, dataset), nll_note(rows, mask), spread_note(rows, dataset)) if n]
    if notes:
        st.info("**What to notice.** " + "  \n".join(notes), icon=":material/lightbulb:")


def samples_panel(results: PageRun) -> None:
    """A strip of draws per method; for DMFA and MFA (draws dominated by pixel noise) the structured part
    fill + Σ ε_k a_k and the fill ± 1 sd along each factor, which read as images. Made once per result
    (``drawn``)."""
    for picture, caption in drawn(results, "draws", lambda: _strips(results.rows, results.dataset)):
        st.image(picture, caption=caption, width="content", output_format="PNG")


def _strips(rows: list, dataset: str) -> list[tuple[bytes, str]]:
    out: list[tuple[bytes, str]] = []

    def _strip(images: list[torch.Tensor], caption: str) -> None:
        strip = torch.cat([x.clamp(0, 1) for x in images], dim=-1)
        out.append((png_bytes(to_pil(strip, max(1, math.ceil(112 / strip.shape[-2])))), caption))
    g = torch.Generator().manual_seed(0)
    for res, _, _ in rows:
        label = method_label(res)
        if isinstance(res.diagnostics, FactorDiagnostics):
            a, fill = res.diagnostics.factors[0].cpu(), res.mean[0]  # a: (K, C, H, W), zero on observed pixels
            eps = torch.randn(6, a.shape[0], generator=g)
            draws = [fill + torch.einsum("k,kchw->chw", e, a) for e in eps]
            ratio = spread_ratios(dataset).get(INPAINTING.label(res.method))
            _strip(draws, f"{label}: 6 draws of the low-rank part (fill + Σ ε_k a_k, ε ~ N(0, I); the "
                          "per-pixel noise term is left out so that the structure shows)"
                          + (f". On faces its spread is {ratio[0]:.1f} to {ratio[1]:.1f} times its squared error "
                             "(see What to notice)" if ratio else ""))
            moves = [fill + sign * a[k] for k in range(min(a.shape[0], 5)) for sign in (-1, 1)]
            _strip(moves, f"{label}: the fill moved one standard deviation − / + along each of its first "
                          f"{min(a.shape[0], 5)} directions of uncertainty")
        elif res.samples.shape[1] > 1:
            n = min(res.samples.shape[1], 6)
            what = ("completions from as many noise draws" if res.method == "flow" else "0/1 draws of the pixels"
                    if BINARY[dataset] else
                    "decoder means at as many draws of the latent z (the decoder's per-pixel noise left out)")
            _strip([res.samples[0, i] for i in range(n)], f"{label}: {n} {what}")
    return out


def _diagnostics_table(rows: list) -> pd.DataFrame | None:
    keys = {"acceptance": "acceptance", "ess_log_joint": "ESS of log p(x, z)", "ess_pixels": "ESS of the fill",
            "rhat": "split-R̂", "accepted_moves": "accepted moves after burn-in (median per chain)",
            "step_size": "HMC step size (mean)"}
    records = []
    for res, _, _ in rows:
        d = res.diagnostics
        if not isinstance(d, ChainDiagnostics):
            continue
        rec = {"method": method_label(res)}
        for k, title in keys.items():
            v = getattr(d, k)
            if v is not None:
                rec[title] = float(v.float().mean() if torch.is_tensor(v) else v)
        records.append(rec)
    return pd.DataFrame(records).set_index("method") if records else None


def particle_ess(rows: list) -> pd.DataFrame | None:
    """The flow's particle filters' effective sample size after each step's weighting: a column per filter that
    ran, a row per step (the filters' steps are the same grid), None if none ran."""
    ess = {method_label(res): res.diagnostics.ess[:, 0].tolist() for res, _, _ in rows
           if isinstance(res.diagnostics, SMCDiagnostics)}
    if not ess:
        return None
    return pd.DataFrame(ess, index=pd.RangeIndex(1, len(next(iter(ess.values()))) + 1, name="step"))


def particle_ess_chart(rows: list) -> None:
    """``particle_ess`` as lines in each filter's colour, and what to read in them."""
    frame = particle_ess(rows)
    if frame is None:
        return
    filters = [res for res, _, _ in rows if isinstance(res.diagnostics, SMCDiagnostics)]
    st.markdown("**The particle filters' effective sample size at each step**")
    st.line_chart(frame, x_label="step of the path (noise → image)", y_label="ESS (particles)",
                  color=[INPAINTING.colour(res.method) for res in filters], height=220)
    st.caption(f"Of {filters[0].diagnostics.particles} particles: how many the weights rest on after each step, "
               "before resampling. Near 1, the fill is one particle's; the twisted filter weighs each particle by "
               "how well the network's guess of the image already matches the observed pixels, so its weights "
               "stay more even.")


def sampler_insides(results: PageRun, p: str) -> None:
    """Diagnostics, then the chain player (in the browser): the step slider and ▶ Play move the pictures and a
    marker on the traces together (its film made once per result: ``drawn``)."""
    traces, rows, dataset = results.traces, results.rows, results.dataset
    if not traces:
        return
    st.subheader("Inside the samplers")
    table = _diagnostics_table(rows)
    if table is not None:
        st.dataframe(table, width="stretch", column_config={
            "acceptance": st.column_config.NumberColumn(help="Fraction of proposed z moves accepted after "
                                                        "burn-in (pseudo-Gibbs accepts every one)", format="%.3f"),
            "ESS of log p(x, z)": st.column_config.NumberColumn(
                help="Effective sample size: how many independent draws the correlated chains are worth (all "
                     "chains together, after burn-in). It counts the pixels' redraws too: read it with the "
                     "accepted moves", format="%.0f"),
            "ESS of the fill": st.column_config.NumberColumn(
                help="Effective sample size of the decoder's mean at 32 missing pixels (median pixel): how many "
                     "independent fills the average is worth", format="%.0f"),
            "accepted moves after burn-in (median per chain)": st.column_config.NumberColumn(format="%.0f"),
            "HMC step size (mean)": st.column_config.NumberColumn(
                help="Leapfrog step size of the HMC z-moves, tuned during burn-in toward acceptance 0.7, then "
                     "fixed", format="%.3f"),
            "split-R̂": st.column_config.NumberColumn(
                help="Compares the chains with each other: near 1 means they agree; above 1.1, they have not "
                     "mixed", format="%.2f")})
    first = next(iter(traces.values()))
    st.caption(f"{first.log_joint.shape[1]} chains × {first.log_joint.shape[0]} iterations per sampler.")
    kernel = next((res.diagnostics.kernel for res, _, _ in rows if res.method == "mwg"), None)
    if kernel and (note := benchmark_note(kernel, dataset)):
        st.caption(note)
    if len(first.snapshot_steps) > 1:
        chain_player(drawn(results, "chain player", lambda: payload(traces, dataset, tuple(results.image.shape),
                                                                    results.browser_job)), key=p + "player")


def results_view(results: PageRun, current: bool) -> None:
    """What a run produced, at a glance: each method's fill and spread. It goes above the set-up, so that
    on a 1280x720 projector it is on the first screen after Run; the details go below (``results_details``)."""
    st.subheader("Results")
    r_mask = results.mask
    if not current:
        st.warning("Stale: these results are for the inputs described here, which have changed since. "
                   "Press **Run** to compute them for the current image, mask, methods and settings.",
                   icon=":material/history:")
    st.caption(f"Computed on {DATASETS[results.dataset]} {results.what} ({masks.missing_fraction(r_mask):.0%} "
               "missing); scores, notes, draws, the samplers' insides and downloads are under the set-up.")
    for problem in results.problems:
        st.warning(problem)
    comparison_grid(results)


@st.fragment
def results_details(results: PageRun, p: str) -> None:
    """The rest of a run, below the set-up: scores, what to notice, draws, the samplers' insides, downloads. A
    fragment: what a student does in it (the chain player's controls) reruns it alone, not the page."""
    r_img, r_mask, rows, dataset = results.image, results.mask, results.rows, results.dataset
    st.subheader("Scores and diagnostics")
    metrics_table(rows, dataset)
    what_to_notice(rows, results.traces, dataset, r_mask)
    with st.expander("Draws from each method"):
        samples_panel(results)
    particle_ess_chart(rows)
    sampler_insides(results, p)
    downloads(rows, r_img, r_mask, p)


def downloads(rows: list, image: torch.Tensor, mask: torch.Tensor, p: str) -> None:
    """PNG grid, metrics CSV and mask; the PNGs are made on click, as the grid is costly."""
    def grid() -> bytes:
        cells = [("original", [image]), ("masked", [masks.overlay(image, mask)])]
        for res, _, _ in rows:
            strip = [res.mean[0]] + [res.samples[0, i].clamp(0, 1) for i in range(min(res.samples.shape[1], 6))]
            cells.append((method_label(res), strip + [colour_map(res.std[0])]))
        return grid_png(cells)

    table = pd.DataFrame([{"method": method_label(res), **m} for res, m, _ in rows])
    csv = io.StringIO()
    table.to_csv(csv, index=False)
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download results (PNG grid)", grid, "inpainting.png", "image/png",
                       key=p + "dl_png", on_click="ignore")
    c2.download_button("Download metrics (CSV)", csv.getvalue(), "inpainting_metrics.csv", "text/csv",
                       key=p + "dl_csv", on_click="ignore")
    c3.download_button("Download mask (PNG, white = missing)", lambda: png_bytes(to_pil((~mask).float())),
                       "mask.png", "image/png", key=p + "dl_mask", on_click="ignore")


# ---------------------------------------------------------------- the slide views


def _run(link: Mapping[str, str]):
    job = jobs.lesson_inpainting({k[len(demo.PREFIX):]: v for k, v in link.items() if k.startswith(demo.PREFIX)})
    if job is None:
        st.info("This step's image or mask is not a gallery image and a preset, so it cannot be shown as a slide.")
        return None
    return slides.shared(job, "slide_inp", "This step's fills, computed once for every session")


def _facts(run) -> Facts:
    """Each method's score and label; ``methods``: the labels, |-joined; ``best``: the best score's label (F1 on
    binary images, else the lowest MSE)."""
    facts: Facts = {"missing": f"{(~run.mask).float().mean().item():.0%}"}
    for res, metrics, _ in run.rows:
        if "F1" in metrics:
            facts[f"f1_{res.method}"] = f"{metrics['F1']:.2f}"
        if "MSE" in metrics:
            facts[f"mse_{res.method}"] = f"{metrics['MSE']:.4f}"
        facts[f"label_{res.method}"] = method_label(res)
    scored = [(m["F1"] if "F1" in m else -m["MSE"], method_label(res)) for res, m, _ in run.rows if m]
    facts["methods"] = "|".join(label for _, label in scored)
    if scored:
        facts["best"] = max(scored)[1]
    f1 = {res.method: m["F1"] for res, m, _ in run.rows if "F1" in m}
    if {"mwg", "pseudo_gibbs"} <= f1.keys():  # the exact sampler against the one that skips its accept step
        facts.update(slides.duel(("the exact sampler (MWG)", f1["mwg"]), ("pseudo-Gibbs", f1["pseudo_gibbs"]),
                                 DUEL_F1))
    return {**facts, **_digit_facts(run)}


DUEL_F1 = 0.01  # a fill closer to the truth by less F1 than this (the slides' precision) ties


DIGITS = [str(d) for d in range(10)]


def _digit_facts(run) -> Facts:
    """On a digit: the exact sampler's draws read by the shipped digit classifier (``digits-mnist``). ``digits``: the
    ten options; ``digit_probs``: digit -> the share of the draws read as it (the sampler's posterior over the
    classes); ``mwg_draws``: how many draws. Nothing without the classifier or
    off MNIST."""
    exact = next((res for res, _, _ in run.rows if res.method == "mwg"), None)
    net = _digit_reader() if exact is not None and tuple(run.image.shape) == (1, 28, 28) else None
    if net is None:
        return {}
    shares = read_digits(net, exact.samples[0])
    return {"digits": "|".join(DIGITS), "digit_probs": dict(zip(DIGITS, shares)),
            "mwg_draws": str(exact.samples.shape[1])}


def slide_facts(link: Mapping[str, str]) -> Facts:
    run = _run(link)
    return {} if run is None else _facts(run)


def _digit_reader():
    """The shipped digit classifier, None without it."""
    try:
        return model("digits-mnist")[0]
    except pretrained.PretrainedError:
        return None


def _cells(run, spread: bool) -> tuple[list[tuple[str, Any]], list[str]]:
    """The page's own pictures of the run (``fill_cells``): the input, then each method's fill, or
    (``spread``) each fill's spread; and a caption each."""
    _, *methods = fill_cells(run.rows, run.image, run.mask)
    cells = [("the input", masks.holed(run.image, run.mask))]
    cells += [(title, sd if spread else fill) for title, fill, sd, _ in methods if not spread or sd is not None]
    notes = [f"{(~run.mask).float().mean().item():.0%} hidden (grey)"]
    notes += [note for _, _, s, note in methods if not spread or s is not None]
    return cells, notes


def fills_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The input and each method's fill (its conditional mean), one row, each with its score."""
    run = _run(link)
    if run is None:
        return {}
    cells, notes = _cells(run, spread=False)
    if not shown:  # the question: the input alone
        slides.grid(cells[:1], stage, "slide_question", notes[:1])
        return _facts(run)
    slides.grid(cells, stage, "slide_fills", notes)
    return _facts(run)


def spread_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """Each method's spread (the sd of every missing pixel) on one colour scale, dark = sure."""
    run = _run(link)
    if run is None:
        return {}
    cells, notes = _cells(run, spread=True)
    vmax = spread_max(run.rows)
    slides.grid(cells, Stage(stage.width, stage.height - 70), "slide_spread", notes)
    st.image(colour_bar(vmax), width=min(420, stage.width), caption="spread: dark = sure, bright = unsure")
    return _facts(run)


def draws_slide(link: Mapping[str, str], stage: Stage, shown: bool) -> Facts:
    """The question: the observed part alone. The answer: each method's draws of the hidden part, a row each."""
    run = _run(link)
    if run is None:
        return {}
    if not shown:
        slides.grid([("what the class sees", masks.holed(run.image, run.mask))], stage, "slide_question", title_px=30)
        return _facts(run)
    rows = [(res.method, method_label(res), res.samples[0, : min(res.samples.shape[1], 6)]) for res, _, _ in run.rows
            if res.samples.shape[1] > 1][:3]
    net = _digit_reader() if tuple(run.image.shape) == (1, 28, 28) else None
    text = slides.text_of(stage)  # titles grow with the projector's text
    read_px = round(24 * text) if net is not None else 0  # the exact sampler's draws, each titled with its digit
    line = round(30 * text)  # a row's title, one line
    gap = round(GAP * text)  # Streamlit's gap is 1rem: it grows with the text too
    side = max(32, min(int((stage.height - read_px - gap * (len(rows) - 1)) / max(1, len(rows))) - line,
                       int((stage.width - gap * 6) / 7) - 1))
    for i, (method, label, draws) in enumerate(rows):
        st.html(f'<div class="slide-title"><b>{label}</b>: {draws.shape[0]} draws of the hidden half</div>')
        if method == "mwg" and net is not None:
            titles = ["the input"] + [f"reads {d}" for d in read_each(net, draws)]
            slides.row(list(zip(titles, [masks.holed(run.image, run.mask), *draws.clamp(0, 1)])), side,
                 f"slide_draws_{i}", title_px=read_px)
            continue
        slides.row([("", masks.holed(run.image, run.mask))] + [("", d.clamp(0, 1)) for d in draws], side,
             f"slide_draws_{i}", title_px=0)
    return _facts(run)


def _warm(link: dict[str, str], name: str) -> Callable[[], Job | None]:
    """``jobs.lesson_inpainting(link)`` as a warm-up job named ``name``."""
    def make() -> Job | None:
        return jobs.lesson_inpainting(link)
    make.__name__ = name
    return make


PAGE = Page("pages/inpainting.py", "Inpainting", ":material/format_paint:",
            "Pick, upload or draw an image, hide part of it, and compare the exact Metropolis-within-Gibbs "
            "sampler, pseudo-Gibbs, MIWAE importance sampling, DMFA and a flow-matching model side by side, with "
            "uncertainty maps and the samplers' diagnostics.",
            "**Exact vs approximate sampling.** A VAE defines an exact conditional p(x_missing | x_observed); "
            "a Metropolis-Hastings step makes a chain sample it, pseudo-Gibbs skips that step and samples "
            "something else, and a flow model filling the hole along its path (as diffusion models do) targets "
            "no model's conditional. Watch whether the chains move (acceptance, traces) and what that does to "
            "the fill.",
            demo=demo,
            views={"fills": View(draw=fills_slide, blurb="the input and each method's fill, with its score",
                                 facts=slide_facts, asks=True),
                   "spread": View(draw=spread_slide, blurb="each method's spread on one colour scale",
                                  facts=slide_facts),
                   "draws": View(draw=draws_slide, blurb="the observed part, then each method's draws",
                                 facts=slide_facts, asks=True)},
            # the default Run on the first data set (the page a lesson opens with) at once, the others when quiet
            warm=tuple(_warm({"ds": ds}, f"inpainting {ds}") for ds in list(DATASETS)[:1]),
            warm_idle=tuple(_warm({"ds": ds}, f"inpainting {ds}") for ds in list(DATASETS)[1:]),
            step_job=jobs.lesson_inpainting)

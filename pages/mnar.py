"""MNAR lab: set a missingness mechanism on a real table, fit MIWAE and not-MIWAE, see what each recovers.

Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data",
ICLR 2021, arXiv 2006.12871. The algorithm is dgm_core.models.notmiwae (model), dgm_core.tabular (fit, impute)
and dgm_core.mnar_experiment (presets, simulate, train); the page's calls dgm_core.demos.mnar; widgets ui.mnar_view.
It opens on the case benchmarks/mnar_default.py chose, with the shipped run trained at the paper's budget; under
"precomputed", any other setting shows the nearest point of a grid trained beforehand (dgm_core.demos.mnar_grid,
pretrained/mnar-grid*) at once, says which point, and offers "Train at exactly this setting" (live, queued); off the
grid, or without its files, the page says why in one sentence and trains live as before.
Only the open tab computes (st.tabs with on_change="rerun"). The images part is pages/mnar_images.py.
"""
import numpy as np
import pandas as pd
import streamlit as st

from dgm_core import budgets, data, pretrained
from dgm_core.data import typed
from dgm_core.demos import mnar as mnar_lab
from ui import plots, serving
from ui import mnar_images_view
from ui import mnar_view as w
from ui import own_table as own_view
from ui.controls import widget
from ui.pages import setup_page
from ui.run import run_button
from ui.state import sync_url, url_state

setup_page()

st.title("MNAR lab: not-MIWAE")
st.markdown("When values go missing **because of their own value** (a sensor that saturates, an income nobody "
            "reports), "
            "imputers that ignore *why* are biased. **not-MIWAE** (Ipsen, Mattei & Frellsen, ICLR 2021) learns the "
            "mechanism p(s | x) with the data; MIWAE and the classical imputers do not.")

s = st.session_state
SPEC = mnar_lab.CONTROLS
url_state(SPEC, w.P)

# ---------------------------------------------------------------- data and mechanism
c1, c2, c3, c4 = st.columns([2, 3, 1, 2])
source = widget(SPEC, w.P, "table", c1, on_change=lambda: s.update({w.P + "nf": 0}))  # a new table: half its features
seed = int(widget(SPEC, w.P, "seed", c3))
if source != "upload CSV":  # an upload's own holes need neither: drawn once the file says which path it takes
    mechanism, preset = widget(SPEC, w.P, "mech", c2), widget(SPEC, w.P, "preset", c4)
upload = None  # an uploaded file's digest
if source == "upload CSV":
    up = st.file_uploader("A CSV with a header line: numbers, categories, identifiers, dates (empty cells, NA, ? "
                          "and the like = missing: fill them as they are, or simulate a mechanism on the complete "
                          "rows)",
                          type=["csv", "txt"], key=w.P + "csv", help=w.CSV_HELP,
                          max_upload_size=budgets.TABLE_MAX_MB)
    marker = st.text_input("Also missing (a marker of your own, such as -999)", key=w.P + "marker",
                           help="Besides empty cells and " + ", ".join(f"'{m}'" for m in typed.MARKERS[1:]) + ".")
    if up is None:
        sync_url(w.BASE_KEYS, w.P)
        st.info("Upload a CSV to continue, or choose one of the tables above.")
        st.stop()
elif not data.available(source):
    sync_url(w.BASE_KEYS, w.P)
    st.warning(f"The '{source}' table is not in the data directory. Set `DGM_DATA_DIR` to a folder with "
               f"`uci/` (see docs/GUIDE.md, Data), or choose **breast**, which ships with scikit-learn.")
    st.stop()
try:
    if source == "upload CSV":
        upload, cells, _ = w.load_typed(up, tuple(marker.split(",")))
        if cells is not None and own_view.has_holes(cells) and widget(SPEC, w.P, "own", horizontal=True) == "own":
            sync_url((*w.BASE_KEYS, *own_view.KEYS), w.P)
            st.subheader("Your table's own holes")
            own_view.show(cells, upload, seed)
            st.stop()
        upload, table = w.load_upload(up)
        mechanism, preset = widget(SPEC, w.P, "mech", c2), widget(SPEC, w.P, "preset", c4)
        x, columns, y, task, dropped, note = w.complete_rows(table)
    else:
        x, columns, y, task, dropped, note = w.load_source(source)
except (ValueError, data.DatasetNotFoundError) as e:
    st.error(str(e))
    st.stop()
if note:
    st.info(note)
p1, p2 = st.columns([3, 1])
with p1:
    params = w.mechanism_params(mechanism, x.shape[1])
    cut = w.cutoff_note(source, params["offset"]) if mechanism == "notmiwae_uci" else None
    if cut and cut.warning:
        st.warning(cut.warning)
sync_url((*w.BASE_KEYS, *w.MECHANISM_KEYS[mechanism]), w.P)
try:
    sim = mnar_lab.simulate(x, mechanism, params, seed)
except ValueError as e:
    st.error(str(e))
    if cut:  # no table here: the sweep's own numbers say what this setting does
        st.caption(cut.sweep)
    st.stop()
p2.caption(f"{x.shape[0]} rows × {x.shape[1]} features" + (f" ({dropped} incomplete rows dropped)" if dropped else "")
           + f"; {sim.missing.rate:.1%} of the entries hidden. Clipped faces have their own page:")
with p2:
    mnar_images_view.PAGE.link()

tab_imp, tab_mech, tab_sup = st.tabs(["Imputation", "Missingness", "Supervised"], key=w.P + "tab", on_change="rerun")
key = w.settings_key(source=source, csv=upload, mech=mechanism, params=params, preset=preset, seed=seed)
table = source if upload is None else f"upload {upload}"  # an upload's runs are keyed by its digest: files never share


def show_fits(fits: dict, source_note: str, sim: mnar_lab.Simulated, preset: str, keep: str | None = None) -> None:
    """The fits of ``sim`` (the page's simulation, or a grid point's) trained with ``preset``; ``keep``: a grid
    point's key, under which its figures are built once per server."""
    table = w.rmse_table(fits)
    r1, r2 = st.columns([5, 6])
    best = min(fits, key=lambda k: fits[k].rmse)
    r1.success(f"Lowest RMSE: **{mnar_lab.label(best)}** ({w.error(fits[best].rmse)}).")
    r1.dataframe(table.style.format({"RMSE (missing, sd)": w.error}), key=w.P + "rmse_table",
                 column_config={"_index": st.column_config.TextColumn("method", width="medium"),
                                "effective samples": st.column_config.TextColumn(help=w.ESS_HELP),
                                "RMSE (missing, sd)": st.column_config.NumberColumn(
                                    help="root mean squared error on the hidden entries, in standard deviations "
                                         "of the complete column (every hidden entry of the table)")})
    drawn, kept_out = w.with_fills(fits, sim, seed)  # a grid point keeps a few methods' fills: the rest redone
    r1.markdown(w.notice(drawn, mechanism, preset, sim))
    r1.caption(w.ESS_HELP)
    plot = r2.empty()  # the picture first, its feature under it: the scatter stays on the first screen
    j = r2.selectbox("Feature", range(len(columns)), format_func=lambda j: columns[j], key=w.P + "scatter_feature",
                     index=int(np.argmax(sim.missing.rate_per_feature)))
    shown = dict(sorted(((m, drawn[m]) for m in fits if m not in kept_out),
                        key=lambda kv: kv[0].startswith("notmiwae")))  # every method drawn, not-MIWAE on top
    plots.show(plot, w.figure(keep and f"{keep}|scatter|{j}", lambda: w.scatter_figure(sim, shown, j, columns[j])),
               width="stretch")
    if kept_out:
        r2.caption(", ".join(map(mnar_lab.label, kept_out)) + ": scored in the table, not drawn: the precomputed grid "
                   "keeps its fills for a few methods only; **Train at exactly this setting** draws every method.")
    if source_note:
        st.caption(source_note)
    with st.expander("Recovered vs true mechanism"):
        st.dataframe(w.mechanism_table(sim, fits, columns), width="stretch", height=300)
        st.caption("W > 0: high values go missing. Thresholds are b in the data's units; a deterministic cut "
                   "(the not-MIWAE protocol) has infinite steepness, so the learnt W only needs to be large.")
    show_maps(fits, sim, keep)
    show_points(fits, j, sim)
    record = w.provenance(sim, table=source if upload is None else f"upload sha256 {upload}", seed=seed,
                          mechanism=sim.missing.mechanism, preset=preset, columns=columns,
                          params={k: sim.missing.params.get(k, v) for k, v in params.items()})  # a grid point's own
    d1, d2 = st.columns(2)
    d1.download_button("RMSE table (CSV)", w.rmse_csv(table, record), "mnar_rmse.csv", "text/csv", on_click="ignore")
    d2.download_button("not-MIWAE completed table (CSV)", lambda: w.imputed_csv(fits["notmiwae"], sim, record,
                                                                              columns),  # on the click
                       "mnar_imputed.csv", "text/csv", on_click="ignore")


def show_maps(fits: dict, sim: mnar_lab.Simulated, keep: str | None = None) -> None:
    """What each missing model learnt, as a feature-by-feature map, next to the generating mechanism."""
    st.subheader("What the missing models learnt")
    truth = mnar_lab.true_sensitivity(sim)
    panels = [(mnar_lab.label(m), mnar_lab.model_sensitivity(sim, f.sensitivity))
              for m, f in fits.items() if f.sensitivity is not None]
    if truth is not None:
        panels.insert(0, ("the true mechanism", truth))
    else:
        st.caption("The true mechanism here is a step (each value hides itself past a threshold): all on the "
                   "diagonal, infinitely steep, so it has no finite map to draw.")
    st.caption("Row j, column k: how the chance that **row j's feature goes missing** moves as **column k's "
               "feature** grows, as the slope of logit P(missing) per standard deviation of the complete column (the "
               "nonlinear model's averaged over the rows): one unit and one colour scale on every map (red: missing "
               "when high, blue: when low). Self-masking models can only fill the diagonal; the agnostic ones "
               "(linear, nonlinear) may use any feature. Fit those under **Training** (a live preset) with the "
               "multiselect next to the train button.")
    cols, lim = st.columns(min(len(panels), 3)), w.shared_limit([m for _, m in panels])
    for i, (name, m) in enumerate(panels):
        with cols[i % len(cols)]:
            fig = w.figure(keep and f"{keep}|map|{name}|{lim}",
                           lambda m=m, name=name: w.sensitivity_figure(m, columns, name, lim=lim))
            plots.show(st, fig, width="stretch", key=f"{w.P}map_{i}")
            st.markdown("Strongest: " + "; ".join(mnar_lab.describe_sensitivity(m, columns)) + ".")


def show_points(fits: dict, j: int, sim: mnar_lab.Simulated) -> None:
    """Mean vs median as point imputations: both scored by both losses, and one entry's conditional."""
    st.subheader("Which single value? The mean for squared error, the median for absolute error")
    st.markdown("A model gives a whole distribution p(x_missing | x_observed, mask) for each hidden entry. The point "
                "closest to it in squared error (the W2 projection onto one value) is its **mean**; in absolute "
                "error (W1) its **median**. Score each with its own loss.")
    q1, q2 = st.columns([5, 6])
    q1.dataframe(w.point_table(fits).style.format({"RMSE": "{:.3f}", "MAE": "{:.3f}"}), key=w.P + "point_table",
                 hide_index=True, column_config={"method": st.column_config.TextColumn(width="medium")})
    models = [m for m, f in fits.items() if f.model is not None and f.median is not None]
    if not models:
        if any("median" in f.errors for f in fits.values()):  # precomputed: scores kept, models not
            q2.caption("One hidden entry's whole conditional needs the trained model: **Train at exactly this "
                       "setting** above draws it.")
        return
    pick = q2.selectbox("Model", models, format_func=mnar_lab.label, key=w.P + "dens_model",
                        index=models.index("notmiwae") if "notmiwae" in models else 0)
    q1.markdown(w.point_notice(fits[pick], sim))
    rows = np.flatnonzero(~sim.mask[:, j])
    if not len(rows):
        q2.info(f"No value of {columns[j]} is hidden; pick another feature above.")
        return
    default = w.default_entry(fits[pick], sim, j)
    row = q2.selectbox(f"Hidden entry of {columns[j]} (row)", rows.tolist(), index=rows.tolist().index(default),
                       key=w.P + f"dens_row_{j}_{pick}",
                       help="Opens on the row where this model's mean and median differ most.")
    cond = mnar_lab.conditional(sim, fits[pick].model, int(row), j, n_samples=5000, seed=seed)
    plots.show(q2, w.density_figure(cond, str(columns[j]), mnar_lab.label(pick)), width="stretch")
    few = (" **That is few**: the density is a handful of spikes and its median is one of them, because the "
           "encoder's proposal q(z | x) is far from this row's posterior.") if cond.ess < 20 else ""
    q2.caption(f"Importance-weighted draws for row {row}: {cond.ess:.0f} effective of 5000.{few}")


def show_grid(grid, point) -> tuple[dict | None, str, mnar_lab.Simulated, str, str | None]:
    """A precomputed grid point at once, with the sentence saying which, and live training at exactly these settings
    on a click -> (fits, note, their simulation, their preset, the grid point's key for its figures or None); fits
    None when the point cannot be shown (said)."""
    g1, g2 = st.columns([4, 1], vertical_alignment="center")  # one row: the key picture stays above the fold
    sentence = g1.empty()
    live_key = w.settings_key(base=w.settings_key(source=source, csv=upload, mech=mechanism, params=params,
                                                  preset=grid.preset, seed=seed), agnostic=())
    with g2:  # its queue place and progress show under it; the finished run's curves full width below
        trained = run_button("Train at exactly this setting", key=w.P + "train_exact", inputs=live_key,
                             compute=lambda: w.fit_job(sim, grid.preset, seed, (), table),
                             help=f"MIWAE and not-MIWAE trained here, live, on exactly these settings with the "
                                  f"grid's '{grid.preset}' budget (under a minute on a quiet server; queued, shared)")
    if trained and trained.inputs == live_key:
        sentence.markdown(w.grid_sentence(grid, point, params, trained=True))
        w.trained_curves(trained.value)
        st.caption(f"Trained with the '{grid.preset}' preset. {serving.caption(trained.ran)}")
        return trained.value, "", sim, grid.preset, None
    fits, shown, why = w.grid_fits(point, x, sim, params, seed)
    if fits is None:
        sentence.info(f"{why} Train at exactly this setting, pick a budget under **Training**, or go back.")
        return None, "", sim, grid.preset, None
    sentence.markdown(w.grid_sentence(grid, point, params))
    return fits, w.grid_note(grid), shown, grid.preset, w.grid_key(grid, point)


if tab_imp.open:
    with tab_imp:
        default_case = w.is_default(source, mechanism, params, seed)
        fits, source_note, shown_sim, shown_preset, keep = None, "", sim, preset, None
        if preset == "paper" and default_case:
            try:
                fits, cards = w.shipped(sim)
                source_note = ("Precomputed, so it shows at once: each model trained "
                               f"{cards['notmiwae'].metrics['iterations']:,} iterations (the paper's budget) by "
                               + ", ".join(f"`{c.command}`" for c in cards.values())
                               + "; this table and mechanism were chosen by `python -m dgm_core bench mnar_default`. "
                                 "To train yourself, pick a budget under **Training**.")
            except pretrained.PretrainedError as e:
                st.info(f"{e} Meanwhile pick a budget under **Training** to train here.")
        elif preset == "paper":
            grid, point, why = w.grid_point(source if upload is None else None, x, mechanism, params, seed)
            if point is not None:
                fits, source_note, shown_sim, shown_preset, keep = show_grid(grid, point)
            else:
                st.info(f"{why} The paper's budget (100 000 iterations per model, minutes each) is precomputed only "
                        "for the opening case. To train on these settings pick **tiny**, **small** or **medium** "
                        "under **Training**, or go back.")
                b1, b2 = st.columns(2)
                if held := w.held_off_grid(mechanism, params, x.shape[1]):  # e.g. a rate carried over from MCAR
                    b1.button("Show the grid's setting (" + ", ".join(f"{SPEC[k].label} {v:g}" if isinstance(v, float)
                                                                     else f"{SPEC[k].label}: {v}"
                                                                     for k, v in held.items()) + ")",
                              key=w.P + "to_grid", on_click=lambda: s.update({w.P + k: v for k, v in held.items()}))
                b2.button("Back to the opening case", key=w.P + "reset", on_click=w.reset_to_default)
        else:
            st.markdown("MIWAE maximises a bound on log p(x°); not-MIWAE on log p(x°, s), with the self-masking "
                        "model P(s=1 | x) = σ(−W (x − b)) per feature (*known*: the direction of W is given).")
            extras = tuple(widget(SPEC, w.P, "agn"))
            if any(m in mnar_lab.VARIANTS for m in extras) and not mnar_lab.has_known_direction(sim):
                st.caption("The known-direction variants need a mechanism with a direction (self-masking or the "
                           "not-MIWAE cut); they are left out here.")
            imp_key = w.settings_key(base=key, agnostic=extras)
            trained = run_button("Train MIWAE and not-MIWAE", type="primary", key=w.P + "train", inputs=imp_key,
                                 compute=lambda: w.fit_job(sim, preset, seed, extras, table),  # queued, shared
                                 live=w.live_training())  # a progress bar and live curves while it trains
            if trained and trained.inputs == imp_key:
                fits = trained.value
                w.trained_curves(fits)
                st.caption(f"Trained with the '{preset}' preset. {serving.caption(trained.ran)}")
        if fits is not None:
            show_fits(fits, source_note, shown_sim, shown_preset, keep)
        if cut:  # a run of its own, with its own numbers: apart from the table above, named as such
            with st.expander(f"The offset sweep: a benchmark of its own ({cut.iterations:,} iterations a model)"):
                st.caption(cut.sweep)

if tab_mech.open:
    with tab_mech:
        st.latex(w.FORMULAS[mechanism])
        m1, m2, m3 = st.columns([2, 3, 3])
        j = m1.selectbox("Highlighted feature", range(len(columns)), format_func=lambda j: columns[j],
                         key=w.P + "hist_feature")
        m1.dataframe(pd.DataFrame({"missing": sim.missing.rate_per_feature}, index=list(columns))
                     .style.format("{:.1%}"), height=250)
        plots.show(m2, w.curve_figure(sim, columns, j), width="stretch")
        plots.show(m3, w.histogram_figure(sim, j, columns[j]), width="stretch")

if tab_sup.open:
    with tab_sup:
        if y is None or task is None:
            st.info("The supervised comparison needs a target: choose one of the UCI tables "
                    "(an uploaded CSV has none).")
        elif preset == "paper":
            st.info("The supervised models are trained here, live: pick **tiny**, **small** or **medium** under "
                    "**Training** first.")
        else:
            st.markdown(f"Predict **{task}** target from the incomplete features on a 30 % held-out split: "
                        "supMIWAE and sup-not-MIWAE average p(y | x) over importance-weighted imputations; "
                        "the baselines impute first, then fit a linear model.")
            trained = run_button("Train the supervised models", key=w.P + "train_sup", inputs=key,
                                 compute=lambda: w.supervised_job(sim, y, task, preset, seed, table))
            if trained and trained.inputs == key:
                scores = trained.value
                st.caption(f"Trained with the '{preset}' preset. {serving.caption(trained.ran)}")
                label = "accuracy" if task == "classification" else "RMSE"
                st.dataframe(pd.DataFrame({"method": list(scores), label: list(scores.values())}).set_index("method")
                             .style.format("{:.3f}"))

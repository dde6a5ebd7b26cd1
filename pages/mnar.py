"""MNAR lab: set a missingness mechanism on a real table, fit MIWAE and not-MIWAE, see what each recovers.

Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with Missing not at Random Data",
ICLR 2021, arXiv 2006.12871. The computing is dgm_core.demos.mnar; widgets and figures are ui.mnar_widgets.
"""
import numpy as np
import pandas as pd
import streamlit as st

from dgm_core import data
from dgm_core.demos import mnar as mnar_lab
from ui import mnar_widgets as w
from ui.pages import setup_page
from ui.state import sync_url, url_state

setup_page()

st.title("MNAR lab: not-MIWAE")
st.markdown(
    "When a value goes missing **because of the value itself** (a sensor that saturates, an income "
    "nobody reports), imputers that ignore *why* data are missing are biased. **not-MIWAE** (Ipsen, "
    "Mattei & Frellsen, ICLR 2021) learns the missingness mechanism p(s | x) together with the data; "
    "MIWAE and the classical imputers do not. Choose a table and a mechanism, then train both.")

s = st.session_state
for warning in url_state(w.SPEC, w.P):
    st.warning(warning)

# ---------------------------------------------------------------- data
c1, c2, c3 = st.columns([2, 1, 1])
source = c1.selectbox("Table", w.SPEC["table"].choices, key=w.P + "table",
                      on_change=lambda: s.update({w.P + "nf": 0}))  # a new table: censor half its features
seed = int(c2.number_input("Seed", 0, 10_000, key=w.P + "seed"))
preset = c3.selectbox("Training preset", w.SPEC["preset"].choices, key=w.P + "preset",
                      help="tiny: seconds; small: well under a minute; medium: several minutes (cached)")
csv_bytes = None
if source == "upload CSV":
    up = st.file_uploader("A numeric CSV with a header line (empty cells = missing; incomplete rows are dropped)",
                          type=["csv", "txt"], key=w.P + "csv")
    if up is None:
        sync_url(w.BASE_KEYS, w.P)
        st.info("Upload a CSV to continue, or choose one of the tables above.")
        st.stop()
    csv_bytes = up.getvalue()
elif not data.available(source):
    sync_url(w.BASE_KEYS, w.P)
    st.warning(f"The '{source}' table is not in the data directory. Set `DGM_DATA_DIR` to a folder with "
               f"`uci/` (see the README's Data section), or choose **breast**, which ships with scikit-learn.")
    st.stop()
try:
    x, columns, y, task, dropped = w.load_source(source, csv_bytes)
except (ValueError, data.DatasetNotFoundError) as e:
    st.error(str(e))
    st.stop()
st.caption(f"{x.shape[0]} rows × {x.shape[1]} features" + (f"; {dropped} incomplete rows dropped" if dropped else ""))

# ---------------------------------------------------------------- mechanism
mechanism = st.selectbox("Missingness mechanism", w.SPEC["mech"].choices, format_func=w.MECHANISMS.get,
                         key=w.P + "mech")
params = w.mechanism_params(mechanism, x.shape[1])
st.latex(w.FORMULAS[mechanism])
sync_url((*w.BASE_KEYS, *w.MECHANISM_KEYS[mechanism]), w.P)
try:
    sim = mnar_lab.simulate(x, mechanism, params, seed)
except ValueError as e:
    st.error(str(e))
    st.stop()

tab_mech, tab_imp, tab_sup, tab_img = st.tabs(["Missingness", "Imputation", "Supervised", "Images"])
with tab_mech:
    m1, m2 = st.columns([1, 3])
    m1.metric("Realised missing rate", f"{sim.missing.rate:.1%}")
    m1.dataframe(pd.DataFrame({"missing": sim.missing.rate_per_feature}, index=list(columns)).style.format("{:.1%}"),
                 height=260)
    m2.plotly_chart(w.curve_figure(sim, columns), width="stretch")
    j_hist = st.selectbox("Feature", range(len(columns)), format_func=lambda j: columns[j], key=w.P + "hist_feature")
    st.plotly_chart(w.histogram_figure(sim, j_hist, columns[j_hist]), width="stretch")

key = w.settings_key(source=source, csv=hash(csv_bytes), mech=mechanism, params=params, preset=preset, seed=seed)
with tab_imp:
    st.markdown("MIWAE maximises a bound on log p(x°); not-MIWAE on log p(x°, s), with the self-masking model "
                "P(s=1 | x) = σ(−W (x − b)) per feature (*known*: the direction of W is given). RMSE is on the "
                "missing entries, in standard deviations.")
    if st.button("Train MIWAE and not-MIWAE", type="primary", key=w.P + "train"):
        s[w.P + "fit_key"] = key
    if s.get(w.P + "fit_key") == key:
        fits = w.fit_all(key, sim, preset, seed)  # shows a progress bar and live curves while it trains
        table = pd.DataFrame({"method": [mnar_lab.label(m) for m in fits],
                              "RMSE (missing, sd units)": [f.rmse for f in fits.values()]})
        st.dataframe(table.set_index("method").style.format("{:.3f}"), key=w.P + "rmse_table")
        best = min(fits, key=lambda k: fits[k].rmse)
        st.success(f"Lowest RMSE: **{mnar_lab.label(best)}** ({fits[best].rmse:.3f}).")
        j = st.selectbox("Scatter feature", range(len(columns)), format_func=lambda j: columns[j],
                         key=w.P + "scatter_feature", index=int(np.argmax(sim.missing.rate_per_feature)))
        shown = {k: v for k, v in fits.items() if k in ("miwae", "notmiwae", "notmiwae_known", "MICE")}
        st.plotly_chart(w.scatter_figure(sim, shown, j, columns[j]), width="stretch")
        st.subheader("Recovered vs true mechanism")
        mech = w.mechanism_table(sim, fits, columns)
        st.dataframe(mech, width="stretch")
        st.caption("W > 0: high values go missing. Thresholds are b in the data's units; a deterministic cut "
                   "(the not-MIWAE protocol) has infinite steepness, so the learnt W only needs to be large.")
        completed = pd.DataFrame(fits["notmiwae"].imputed, columns=list(columns))
        d1, d2 = st.columns(2)
        d1.download_button("RMSE table (CSV)", table.to_csv(index=False), "mnar_rmse.csv", "text/csv")
        d2.download_button("not-MIWAE completed table (CSV)", completed.to_csv(index=False), "mnar_imputed.csv",
                           "text/csv")

with tab_sup:
    if y is None or task is None:
        st.info("The supervised comparison needs a target: choose one of the UCI tables (an uploaded CSV has none).")
    else:
        st.markdown(f"Predict **{task}** target from the incomplete features on a 30 % held-out split: "
                    "supMIWAE and sup-not-MIWAE average p(y | x) over importance-weighted imputations; "
                    "the baselines impute first, then fit a linear model.")
        if st.button("Train the supervised models", key=w.P + "train_sup"):
            s[w.P + "sup_key"] = key
        if s.get(w.P + "sup_key") == key:
            scores = w.supervised_all(key, sim, y, task, preset, seed)
            label = "accuracy" if task == "classification" else "RMSE"
            st.dataframe(pd.DataFrame({"method": list(scores), label: list(scores.values())}).set_index("method")
                         .style.format("{:.3f}"))

with tab_img:
    from ui import mnar_images
    mnar_images.render(seed)

"""A tiny page for tests/e2e/test_browser_inpaint_page.py: ui.browser_inpaint.browser_run on a digit drawn by the
shipped VAE with the inpainting page's default mask and settings (pseudo-Gibbs and MIWAE), then what a page would show
of its rows.
?steps=N shortens the chains; ?broken=1 gives the worker a model URL that does not exist."""
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
import torch  # noqa: E402

from dgm_core import masks, pretrained  # noqa: E402
from dgm_core.demos import inpainting  # noqa: E402
from dgm_core.device import generator  # noqa: E402
from ui import browser_inpaint as bi  # noqa: E402

st.title("Inpainting in this browser")
vae, _ = pretrained.load("vae-mnist")
with torch.no_grad():
    x = (vae.sample(1, generator(3))[0] > 0.5).float()
mask = masks.preset("bottom", (28, 28))
q = st.query_params
settings = inpainting.default_settings("mnist")
if "steps" in q:
    settings = replace(settings, steps=int(q["steps"]), burn_in=int(q["steps"]) // 4)
if q.get("broken"):
    specs = bi.model_specs
    bi.model_specs = lambda ds: {f: {**s, "encoder": "app/static/models/none.onnx"} for f, s in specs(ds).items()}
st.button("Rerun")
got = bi.browser_run(x, mask, ["pseudo_gibbs", "miwae"], settings, dataset="mnist", key="bi")
err = bi.browser_error("bi")
if err:
    st.warning(f"This browser could not run the samplers ({err}); the server runs them instead.")
if got:
    for res, scores, trace in got["rows"]:
        st.markdown(f"**{res.method}**: F1 {scores['F1']:.4f}, NLL {scores['NLL (nats)']:.2f} nats, "
                    f"{res.samples.shape[1]} draws" + (f", verdict: {res.diagnostics.verdict[0]}" if trace else ""))
        kept = bool(torch.equal(torch.where(mask, res.mean[0, 0], x[0]), x[0]))
        st.caption(f"observed pixels kept: {kept}; mean in [0, 1]: {bool(((res.mean >= 0) & (res.mean <= 1)).all())}")
        st.image(res.mean[0, 0].numpy(), width=112, clamp=True)
    st.caption(f"seconds in the browser: {got['seconds']:.2f}")

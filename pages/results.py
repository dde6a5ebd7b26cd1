"""Results: does this reproduce the paper? The papers' tables next to ours, one section per paper.

Every figure is read from the files the benchmarks and the training CLI write (``benchmarks/results``,
``pretrained/`` cards) and from ``benchmarks/published.json`` by ``dgm_core.demos.results``; the
tables, plots and the small rerun are ``ui.results_view``. No number is typed into this page.
"""
import streamlit as st

from dgm_core.demos import results as demo
from ui import results_view as view
from ui.pages import setup_page

setup_page()

st.title("Results: the papers' tables next to ours")
st.markdown(
    "Does this reproduce the paper? Each paper is one slide: our figure with its spread next to the published one "
    "where a checked one exists, one sentence on where we differ and why, and the command that rebuilds it; how it "
    "was measured is folded under it. Published figures are shown only where they were checked against the paper or "
    "the authors' own code output; the rest are named as unverified and left out. Nothing on this page is typed by "
    "hand: it reads `benchmarks/results/*.json`, the model cards in `pretrained/` and `benchmarks/published.json`.")

sections = demo.sections()
st.markdown(" · ".join(f"[{s.title}](#{s.key})" if s.measured else f"{s.title} (not measured yet)"
                       for s in sections))
for sec in sections:
    view.section(sec)  # its header's anchor is the section's key, the target of the links above
    if sec.key == "dlvm":
        view.small_rerun()

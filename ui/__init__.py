"""The only Streamlit-aware helpers of DGM Lab: page registry, cached loaders, widgets, URL state."""

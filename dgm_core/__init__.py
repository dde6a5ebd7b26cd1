"""dgm_core: the PyTorch backend of DGM Lab (deep generative models and missing data).

Pure PyTorch + NumPy (+ scikit-learn/scipy); never imports streamlit. Conventions (the
docs/GUIDE.md, Layout): images are float32 (B, C, H, W) in [0, 1]; masks are bool with True = observed.
"""
__version__ = "0.1.0"

"""The About page's descriptor (pages/about.py: the shipped models' cards, the device, the data directory)."""
from ui.descriptor import Page

PAGE = Page("pages/about.py", "About", ":material/info:",
            "Reproducibility: every shipped model's card (data, seed, training time, metrics, sha256, the "
            "command that rebuilds it), the device in use and the data directory.")

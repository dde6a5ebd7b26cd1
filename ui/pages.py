"""The app's pages in one list: app.py builds the navigation from it, the home page describes it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    file: str  # relative to the repository root
    title: str
    icon: str
    url_path: str
    summary: str  # what the demo shows, one or two sentences for the home page


PAGES: tuple[PageInfo, ...] = (
    PageInfo("app_pages/home.py", "Home", ":material/home:", "home",
             "What DGM Lab is, the models it ships and the machine it runs on."),
    PageInfo("app_pages/inpainting.py", "Inpainting", ":material/format_paint:", "inpainting",
             "Pick, upload or draw an image, hide part of it, and compare the exact Metropolis-within-Gibbs "
             "sampler, pseudo-Gibbs, MIWAE importance sampling and DMFA side by side, with uncertainty maps "
             "and the samplers' diagnostics."),
    PageInfo("app_pages/mnar.py", "MNAR lab", ":material/visibility_off:", "mnar",
             "Hide values of a real table with a mechanism you choose (self-masking, censoring, MAR, MCAR), "
             "train MIWAE and not-MIWAE live, and compare their imputations and the recovered mechanism "
             "with scikit-learn baselines; or clip the bright pixels of a face and see which model fills "
             "them back."),
)

"""The app's pages in one list (``PAGES``: file, title, icon, url path, and what each teaches), and a link to one of
them (``page_link``). A leaf of ``ui``: the navigation, the deck, the warm-up and the home page read it."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError


@dataclass(frozen=True)
class PageInfo:
    file: str  # relative to the repository root
    title: str
    icon: str
    url_path: str
    summary: str  # what the demo shows, one or two sentences for the home page
    lesson: str = ""  # what it teaches, in a student's words (the home page's lesson map)


PAGES: tuple[PageInfo, ...] = (
    PageInfo("pages/home.py", "Home", ":material/home:", "home",
             "What each demo teaches, a picture of each, and a glossary."),
    PageInfo("pages/inpainting.py", "Inpainting", ":material/format_paint:", "inpainting",
             "Pick, upload or draw an image, hide part of it, and compare the exact Metropolis-within-Gibbs "
             "sampler, pseudo-Gibbs, MIWAE importance sampling, DMFA and a flow-matching model side by side, with "
             "uncertainty maps and the samplers' diagnostics.",
             "**Exact vs approximate sampling.** A VAE defines an exact conditional p(x_missing | x_observed); "
             "a Metropolis-Hastings step makes a chain sample it, pseudo-Gibbs skips that step and samples "
             "something else, and a flow model filling the hole along its path (as diffusion models do) targets "
             "no model's conditional. Watch whether the chains move (acceptance, traces) and what that does to "
             "the fill."),
    PageInfo("pages/mnar.py", "MNAR lab", ":material/visibility_off:", "mnar",
             "Hide values of a real table with a mechanism you choose (self-masking, censoring, MAR, MCAR), "
             "train MIWAE and not-MIWAE live, and compare their imputations and the recovered mechanism "
             "with scikit-learn baselines.",
             "**MCAR, MAR, MNAR.** When values go missing because of the value itself (MNAR), an imputer that "
             "ignores why they are missing fills in the wrong values; not-MIWAE models the mechanism and "
             "recovers them. Switch the mechanism and see when that matters."),
    PageInfo("pages/mnar_images.py", "MNAR images", ":material/face:", "mnar_images",
             "Clip the bright pixels of a face (missing not at random) and see whether MIWAE or not-MIWAE "
             "fills them back, with the uncertainty of each pixel.",
             "**MNAR on images.** Bright pixels that saturate are missing because they are bright: a model that "
             "knows the mechanism fills them brighter than one that does not."),
    PageInfo("pages/latent.py", "Latent explorer", ":material/tune:", "latent",
             "Move a WGAN's or a VAE's latent vector along directions found without labels (GANSpace) or raw "
             "coordinates, with sliders the picture follows while you drag; the perturbation grid; latent against "
             "pixel interpolation, each frame scored by a WGAN critic.",
             "**What a latent space means.** A generator maps random numbers to images; some directions in those "
             "numbers change one visible thing. Walking between two points in latent space gives images all the "
             "way, where cross-fading two pictures gives a double exposure."),
    PageInfo("pages/vae.py", "VAE", ":material/scatter_plot:", "vae",
             "What a binarised-MNIST VAE learned: reconstructions and samples, how far its ELBO is from "
             "log p(x) as the importance-weighted bound tightens with K, and a map of its latent space with "
             "your own digit on it.",
             "**Bounds and latent spaces.** A VAE is trained on a lower bound of log p(x); importance sampling "
             "tightens it, and the gap measures how wrong the encoder is. The latent map shows how digits are "
             "arranged in what the model learned."),
    PageInfo("pages/critics.py", "Critics", ":material/straighten:", "critics",
             "Squared Hellinger (f-GAN) and Wasserstein critics on two parallel lines, estimated over a range of "
             "shifts θ against the true values, with both critics retrained live at the θ you choose.",
             "**Why WGANs train.** When the data and the generator do not overlap, the Hellinger distance is "
             "stuck at its maximum and gives no gradient, while the Wasserstein distance grows with the gap and "
             "tells the generator which way to move."),
    PageInfo("pages/gan.py", "GAN training", ":material/animation:", "gan",
             "The same small generator trained on a 2-D toy (a ring of Gaussians, two moons, the critics page's "
             "line) against a squared-Hellinger and a Wasserstein critic side by side, a step per frame: the "
             "critics as heat maps, the generated points moving, both bounds against the steps.",
             "**Why the critic's slope matters.** Started away from the data, the Hellinger critic saturates at its "
             "ceiling and the generator it trains barely moves or collapses; the Wasserstein critic keeps a slope "
             "all the way to the data."),
    PageInfo("pages/flow2d.py", "Flow in 2-D", ":material/air:", "flow2d",
             "Draw points or pick a toy; your browser trains a small flow-matching model on them in seconds, and "
             "the time slider carries a cloud of noise to your shape along the learned velocity field, drawn as "
             "arrows. Your drawing goes in the link, and to the GAN page.",
             "**How flow and diffusion models generate.** A flow model learns a velocity field by regression on "
             "straight lines from noise points to data points; following the field turns noise into data. No "
             "critic, no bound: the same idea, in 28×28, fills holes on the Inpainting page."),
    PageInfo("pages/clusters.py", "Clusters", ":material/bubble_chart:", "clusters",
             "A VAE and a Bayesian Gaussian mixture teaching each other on MNIST: t-SNE maps before and after "
             "mutual learning, cluster cards with samples from each cluster, the confusion matrix and the "
             "accuracy per round on held-out digits.",
             "**Unsupervised clustering in a latent space.** A mixture fitted to a VAE's codes finds digit classes "
             "without labels; feeding each cluster back as a prior pulls a cluster's codes together, yet on most "
             "seeds not closer to the digits. The labels only score the result, and t-SNE pictures can flatter it."),
    PageInfo("pages/results.py", "Results", ":material/table_chart:", "results",
             "The papers' tables next to ours: each paper's figure with its spread, the protocol, the command "
             "that rebuilds it and where we differ; plots of F1 against the missing fraction, the not-MIWAE "
             "RMSE table and DMFA's NLL per hole; a small rerun of the inpainting benchmark in seconds.",
             "**Does it reproduce?** A published number holds for one protocol: a different binarisation, column "
             "set or budget changes it. Compare like with like, and read the spread before the difference."),
    PageInfo("pages/decks.py", "Decks", ":material/slideshow:", "decks",
             "Lecture decks: present the shipped lecture step by step with ← and →, or make your own from any "
             "page's view (the sidebar's *Add this view*), then reorder, download, upload or share it as one link."),
    PageInfo("pages/about.py", "About", ":material/info:", "about",
             "Reproducibility: every shipped model's card (data, seed, training time, metrics, sha256, the "
             "command that rebuilds it), the device in use and the data directory."),
)


def page_link(page: PageInfo, where=st, *, label: str | None = None, query: dict[str, str] | None = None) -> None:
    """A link to another page (``label``: its title; ``query``: the link's settings); a plain link when this page
    runs alone (no navigation to resolve it)."""
    try:
        where.page_link(page.file, label=label or page.title, icon=page.icon, query_params=query)
    except StreamlitPageNotFoundError:
        where.markdown(f"[{label or page.title}](./{page.url_path}{'?' + urlencode(query) if query else ''})")

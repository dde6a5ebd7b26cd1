"""Every method the lab runs, named once (id, label, colour, model family, benchmark keys) in two tables,
``INPAINTING`` (images) and ``MNAR`` (tables); everything else uses the ids, and an unknown id raises. The function
that runs an inpainting method is beside it, in ``dgm_core.demos.inpainting.RUNNERS`` (a leaf can't import its callers).
Colours: Okabe & Ito's colour-blind-safe palette.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Okabe & Ito, "Color Universal Design" (2008): eight colours told apart under every common colour blindness
OKABE_ITO = {"blue": "#0072B2", "vermillion": "#D55E00", "bluish_green": "#009E73", "reddish_purple": "#CC79A7",
             "orange": "#E69F00", "sky_blue": "#56B4E9", "yellow": "#F0E442", "black": "#000000"}
# a few more where a figure needs more lines than eight, or a quiet colour for a background element
PALETTE = {**OKABE_ITO, "grey": "#777777", "light_grey": "#999999", "dark_grey": "#444444", "blue_grey": "#9aa5b1",
           "dark_vermillion": "#8B3A00", "dark_purple": "#6A3D9A", "brown": "#8C564B", "mid_grey": "#7F7F7F",
           "cyan": "#17BECF", "olive": "#BCBD22", "pale_grey": "#BBBBBB"}
CYCLE = tuple(OKABE_ITO.values())  # for series that are not methods (data sets, sweeps), in this order
# Ten classes (digits, clusters) need more than Okabe & Ito's eight, whose sky blue / blue and yellow / orange
# merge on a projector. These ten, from Okabe & Ito's and Paul Tol's sets, were searched for the largest
# smallest pairwise CIELAB distance: above 40 for normal vision and 15 under simulated deutan, protan and
# tritan vision (tests/app/test_clusters.py measures both), against 26 and 10 for Okabe & Ito's eight plus two.
DIGITS = ("#1F3A93", "#E69F00", "#009988", "#EE3377", "#88CCEE", "#CC3311", "#99DD55", "#AA4499", "#000000",
          "#FFAABB")  # navy, orange, teal, magenta, pale cyan, red, lime, purple, black, pink: class k -> DIGITS[k]

CRITICS = {"hellinger": "vermillion", "wasserstein": "blue"}  # each critic's colour (a PALETTE name) on every page


def palette(name: str) -> str:
    """A named colour's hex code; an unknown name raises instead of drawing black."""
    try:
        return PALETTE[name]
    except KeyError:
        raise KeyError(f"No colour named {name!r}; the palette has {', '.join(PALETTE)}.") from None


@dataclass(frozen=True)
class Method:
    id: str
    label: str
    colour_name: str  # a key of PALETTE
    family: str | None  # the model family it needs (shipped model f"{family}-{dataset}"), None: no model
    blurb: str = ""
    short: str = ""  # where a table column or a picture's title has little room
    density: bool = False  # gives a density of the missing values (so a conditional NLL)
    bench_keys: tuple[str, ...] = ()  # the names benchmark files write its rows under

    @property
    def colour(self) -> str:
        return palette(self.colour_name)


class Registry(dict):
    """Methods by id; an unknown id raises a KeyError that lists the known ones."""

    def __init__(self, kind: str, methods: Iterable[Method]):
        super().__init__((m.id, m) for m in methods)
        self.kind = kind

    def __missing__(self, key: str) -> Method:
        raise KeyError(f"Unknown {self.kind} method {key!r}; the known ones are {', '.join(self)}.")

    def label(self, method: str) -> str:
        return self[method].label

    def colour(self, method: str) -> str:
        return self[method].colour

    def by_bench_key(self, key: str) -> Method:
        """The method a benchmark file writes its rows under ``key``."""
        for m in self.values():
            if key in m.bench_keys:
                return m
        raise KeyError(f"No {self.kind} method is written as {key!r} in a benchmark file.")


INPAINTING = Registry("inpainting", [
    Method("mwg", "Metropolis-within-Gibbs", "vermillion", "vae", short="MWG", density=True,
           blurb="Exact sampler of the VAE's p(x_m | x_o): a Gibbs chain on (z, x_m) whose z-moves are "
                 "accepted or rejected so that the chain targets the model's own conditional. The z-move "
                 "is a setting: Hamiltonian Monte Carlo with the decoder's gradient (default), the "
                 "paper's encoder proposal, a pCN random walk, or a random mix of encoder and HMC."),
    Method("pseudo_gibbs", "Pseudo-Gibbs", "blue", "vae", density=True,
           blurb="The same loop accepting every proposal: cheap, but not exact."),
    Method("miwae", "MIWAE importance sampling", "bluish_green", "miwae", density=True,
           blurb="Weighted encoder samples of a model trained on images with 50 % of pixels missing at "
                 "random (large contiguous holes are outside what it saw); mean + resampled draws."),
    Method("dmfa", "DMFA", "reddish_purple", "dmfa", density=True,
           blurb="A network predicting a Gaussian with low-rank covariance over the missing pixels."),
    Method("mfa", "MFA conditional (classical)", "orange", "mfa", density=True,
           blurb="Mixture of factor analysers fitted on complete images, conditioned in closed form."),
    Method("flow", "Flow matching, replacement", "black", "flow", short="Flow",
           blurb="A flow-matching model's ODE from noise, with the observed pixels replaced along the straight "
                 "path at every step (the RePaint idea for flows): training-free, but an approximation that "
                 "does not target even its own model's conditional p(x_m | x_o), unlike the exact sampler."),
    Method("flow_smc", "Flow matching, particle filter", "brown", "flow", short="Flow SMC", density=False,
           blurb="The same flow model's path run by P weighted particles (MCGdiff, Cardoso et al. 2024): at each "
                 "step a particle's observed pixels are drawn where its own step and the noised observation agree, "
                 "it is weighted by how well it predicted them, and the particles are resampled. As P grows it "
                 "targets the flow model's own p(x_m | x_o), like the exact sampler does for the VAE's; with few "
                 "particles its weights rest on a handful of them (the effective sample size says how many: near "
                 "1, its small spread is one ancestor's, not certainty)."),
    Method("flow_twisted", "Flow matching, twisted particle filter", "dark_purple", "flow", short="Flow TDS",
           blurb="The particle filter twisted (Twisted Diffusion Sampling, Wu et al. 2023): each particle is weighted "
                 "at every step by how well the network's own guess of the finished image already matches the "
                 "observed pixels, and its step is pushed up that match's gradient (one backward pass through the "
                 "network); the weights correct for the push, so it targets the same conditional, the flow model's "
                 "own p(x_m | x_o), with weights that stay far more even. Optional Langevin moves on the twisted "
                 "target spread the copies that resampling makes."),
    Method("mean_fill", "Mean fill", "grey", None,
           blurb="Every missing pixel gets the mean of the observed ones."),
    Method("neighbour_fill", "Neighbour fill", "sky_blue", None,
           blurb="Diffuses observed neighbours into the hole."),
])
# the exact sampler's z-kernels (dgm_core.samplers.kernels), as the pages name them
KERNEL_LABELS = {"hmc": "HMC z-moves", "mix": "encoder + HMC z-moves", "encoder": "encoder proposals",
                 "pcn": "pCN z-moves"}


def inpainting_label(method: str, kernel: str | None = None) -> str:
    """An inpainting method's display name; the exact sampler's says which z-kernel ran."""
    m = INPAINTING[method]
    if method == "mwg" and kernel in KERNEL_LABELS:
        return f"{m.short}, {KERNEL_LABELS[kernel]}"
    return m.label


MNAR = Registry("MNAR", [
    Method("miwae", "MIWAE", "blue", "notmiwae", bench_keys=("MIWAE",)),
    Method("notmiwae", "not-MIWAE", "vermillion", "notmiwae", short="SM",
           bench_keys=("not-MIWAE self-masking", "not-MIWAE")),  # the second: bench notmiwae_images
    Method("notmiwae_known", "not-MIWAE, known direction", "reddish_purple", "notmiwae", short="SM-known",
           bench_keys=("not-MIWAE self-masking known",)),
    Method("notmiwae_linear", "not-MIWAE, linear mechanism", "black", "notmiwae",
           short="agnostic: linear mechanism"),
    Method("notmiwae_nonlinear", "not-MIWAE, nonlinear mechanism", "brown", "notmiwae",
           short="agnostic: nonlinear mechanism"),
    Method("notmiwae_steep", "not-MIWAE, known direction, steep start", "dark_vermillion", "notmiwae",
           short="known direction, steep start (W₀ = 10)", bench_keys=("not-MIWAE self-masking known, steep start",)),
    Method("notmiwae_ppca", "not-MIWAE, known direction, linear decoder", "dark_purple", "notmiwae",
           short="known direction, linear decoder", bench_keys=("not-MIWAE-PPCA self-masking known",)),
    Method("sup_miwae", "supMIWAE", "blue", "notmiwae"),
    Method("sup_notmiwae", "sup-not-MIWAE", "vermillion", "notmiwae"),
    # the baselines' ids are dgm_core.baselines' names
    Method("mean", "mean", "grey", None, bench_keys=("mean",)),
    Method("kNN", "kNN", "orange", None, bench_keys=("kNN",)),
    Method("MICE", "MICE", "bluish_green", None, bench_keys=("MICE",)),
    Method("missForest", "missForest", "sky_blue", None, bench_keys=("missForest",)),
])

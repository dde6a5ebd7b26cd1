"""Every page's URL spec (what a shared link may set, labels, allowed values, data-dependent ranges), read and
checked by ``ui.state``; the prefix is the key of ``SPECS``; imports are inside each function, so a page pays for its own.
"""
from __future__ import annotations

from collections.abc import Callable

from ui import loaders
from ui.state import Param

N_DIRS = 10  # GANSpace components computed per model on the latent page
MAX_DIRS = 6
THETAS = [round(i / 10, 1) for i in range(21)]  # the critics page's slider: 0 to 2 in steps of 0.1
ALPHAS = [round(i / 10, 1) for i in range(11)]  # the latent page's interpolation player


def inpainting() -> dict[str, Param]:
    from dgm_core import masks
    from dgm_core.demos.inpainting import DATASETS, DEFAULT_METHODS, Settings
    from dgm_core.methods import INPAINTING as METHODS, KERNEL_LABELS
    from ui.image_source import SIZE, default_index

    d = Settings()
    return {
        "ds": Param("mnist", "Data set", choices=list(DATASETS), names=DATASETS),
        "src": Param("Gallery", "Image from", choices=["Gallery", "Upload", "Draw"]),
        "idx": Param(default_index(), "Index", lo=0, hi=10**6),
        "msrc": Param("Preset", "Mask from", choices=["Preset", "Draw", "Upload"]),
        "preset": Param("bottom", "Preset", choices=list(masks.PRESETS), names=masks.PRESETS),
        "miss": Param(50, "Missing %", lo=5, hi=95),
        "size": Param(14, "Square size (pixels)", lo=2, hi=lambda got: SIZE[got["ds"]] - 1),  # fits the image
        "nrect": Param(1, "Number of squares", lo=1, hi=10), "mseed": Param(0, "Mask seed", lo=0, hi=10**6),
        "methods": Param(list(DEFAULT_METHODS), "Methods", choices=list(METHODS), names=METHODS.label,
                         max_items=len(METHODS)),
        "steps": Param(d.steps, "Chain iterations", lo=10, hi=5000), "chains": Param(d.chains, "Chains", lo=1, hi=64),
        "burn": Param(d.burn_in, "Burn-in iterations", lo=0, hi=4999),
        "ns": Param(d.n_samples, "Importance samples (MIWAE)", lo=10, hi=20000),
        "init": Param(d.init, "Initial fill of missing pixels", choices=["noise", "zeros", "half"]),
        "warm": Param(d.warm_start, "Pseudo-Gibbs warm start", lo=0, hi=500),
        "seed": Param(d.seed, "Seed", lo=0, hi=10**6),
        "kernel": Param(d.kernel, "Exact sampler's z-move", choices=list(KERNEL_LABELS), names=KERNEL_LABELS),
    }


def mnar() -> dict[str, Param]:
    from dgm_core import data
    from dgm_core.demos import mnar as mnar_lab
    from ui import mnar_widgets as w

    return {
        "table": Param("breast", "Table", choices=[*data.TABLES, "upload CSV"]), "seed": Param(0, "Seed", lo=0, hi=10_000),
        "preset": Param("paper", "Training", choices=["paper", *mnar_lab.LIVE_PRESETS], names=w.PRESET_LABELS),
        "mech": Param("notmiwae_uci", "Missingness mechanism", choices=list(w.MECHANISMS), names=w.MECHANISMS),
        # the mechanisms' parameters; only the chosen mechanism's are kept in the URL
        "offset": Param(0.0, "threshold offset δ (sd)", lo=-1.0, hi=1.0),
        "nf": Param(0, "censored features (first n)", lo=0, hi=10_000),  # 0: half of the features
        "p": Param(0.3, "missing rate p", lo=0.05, hi=0.9),
        "dir": Param("high", "values that go missing", choices=["high", "low"]),
        "k": Param(3.0, "steepness k", lo=0.5, hi=10.0), "q": Param(0.25, "quantile q", lo=0.05, hi=0.45),
        "cut": Param("upper", "cut", choices=["upper", "lower", "both"]),
        "pin": Param(0.3, "fraction of input columns", lo=0.1, hi=0.9),
        "agn": Param([], "Also fit these not-MIWAE variants", choices=list(mnar_lab.EXTRAS), names=w.EXTRA_LABELS,
                     item=str, max_items=len(mnar_lab.EXTRAS)),  # extra models fitted as well (live presets)
    }


def mnar_images() -> dict[str, Param]:
    from dgm_core.missingness import clipping

    return {"clip_w": Param(50.0, "Steepness W", lo=clipping.W_RANGE[0], hi=clipping.W_RANGE[1]),
            "clip_b": Param(0.75, "Threshold b", lo=clipping.B_RANGE[0], hi=clipping.B_RANGE[1]),
            "clip_img": Param(22, "Image", lo=0, hi=10**6),
            "clip_k": Param(500, "Importance samples K", choices=(100, 500, 2000)),
            "clip_src": Param("Gallery", "Face from", choices=("Gallery", "Upload")),
            "clip_seed": Param(0, "Seed", lo=0, hi=10_000)}


def _latent_dims(got: dict) -> int:
    """How many directions the chosen model and kind offer (the last index a link may name, plus one)."""
    from dgm_core.demos import latent as demo
    from ui import latent_view as v

    if got["kind"] == "pca" or got["model"] not in loaders.shipped(demo.MODELS):
        return N_DIRS
    return v.explorer(got["model"]).latent


def latent() -> dict[str, Param]:
    from dgm_core.demos import latent as demo
    from ui import latent_view as v

    models = loaders.shipped(demo.MODELS)
    eps = demo.SLIDER_EPS
    return {
        "model": Param(models[0] if models else "wgan-celeba", "Generator", choices=models or list(demo.MODELS),
                       names=v.LABELS),
        # the seed bench wgan chose by its recorded rule (median score of seeds 0-99), never a hand pick
        "seed": Param(demo.measured(models[0]).get("opening_seed", 0) if models else 0, "Seed of z", lo=0, hi=10**6),
        "kind": Param("pca", "Directions", choices=["pca", "raw"],
                      names={"pca": "GANSpace (PCA)", "raw": "raw coordinates"}),
        "dirs": Param([0, 1, 2, 3, 4], "Directions to move", lo=0, hi=lambda got: _latent_dims(got) - 1,
                      max_items=MAX_DIRS),
        "vals": Param([0.0] * 5, "slider values", lo=min(eps), hi=max(eps), max_items=MAX_DIRS, fill=0.0, unique=False),
        "seed_b": Param(1, "Seed B", lo=0, hi=10**6),
        "alpha": Param(0.5, "α", choices=ALPHAS),
        "tab": Param("Sliders", "Tab", choices=["Sliders", "Perturbation grid", "Interpolation"]),
    }


def vae() -> dict[str, Param]:
    from dgm_core.demos import vae as demo
    from ui import vae_view as v

    models = loaders.shipped(v.MODELS)
    return {
        "model": Param(models[0] if models else "vae-mnist", "Model", choices=models or list(v.MODELS), names=v.LABELS),
        "src": Param("Test image", "Digit", choices=["Test image", "Draw", "Upload"]),
        "idx": Param(0, "Test image", lo=0, hi=10**6),
        "kmax": Param(5000, "Largest K", choices=[k for k in demo.KS if k >= 10]),
        "seed": Param(0, "Sample seed", lo=0, hi=10**6),
    }


def critics() -> dict[str, Param]:
    return {"theta": Param(1.0, "θ", choices=THETAS)}


GAN_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]  # the GAN training page's learning rates
TOY_NAMES = {"ring": "a ring of 8 Gaussians", "moons": "two moons", "lines": "the critics page's line"}


def gan() -> dict[str, Param]:
    return {"toy": Param("lines", "Data", choices=list(TOY_NAMES), names=TOY_NAMES),
            "lr": Param(1e-3, "Learning rate", choices=GAN_LRS),
            "k": Param(5, "Critic steps per generator step", lo=1, hi=10)}


def _n_shown(got: dict) -> int:
    from dgm_core import pretrained
    from ui import clusters_view as v
    from ui import loaders

    try:
        return loaders.model(v.MODEL)[0].cfg.n_shown
    except pretrained.PretrainedError:
        return 0


def clusters() -> dict[str, Param]:
    from ui import clusters_view as v

    return {"round": Param("last", "Round", choices=["last", "0"], names={"last": "last round", "0": "round 0"}),
            "colour": Param("cluster", "Colour by", choices=["cluster", "label"],
                            names={"cluster": "GMM cluster", "label": "true digit"}),
            "split": Param("test", "Digits", choices=list(v.SPLITS), names={"test": "held-out test", "train": "training"}),
            "perp": Param(0, "t-SNE perplexity", choices=[0, 1], names={0: "the first", 1: "the second"}),
            "sel": Param([], "selection", item=int, lo=0, hi=lambda got: _n_shown(got) - 1, max_items=200)}


SPECS: dict[str, Callable[[], dict[str, Param]]] = {
    "inp_": inpainting, "mnar_": mnar, "mi_": mnar_images, "lat_": latent, "vae_": vae, "critics_": critics,
    "gan_": gan, "cl_": clusters}

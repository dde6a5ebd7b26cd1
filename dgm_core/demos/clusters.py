"""The clusters page's calls on a shipped VAE+GMM (Taniguchi et al., arXiv 1910.08918): cluster cards, the matched
confusion matrix, decoded points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import pretrained
from ..controls import Control
from ..models.vae_gmm import VaeGmm, match_clusters


@dataclass
class ClusterCard:
    cluster: int
    size: int  # shown training points in it
    majority: int  # most common true label among them (-1 if empty)
    purity: float  # share of that label
    matched: int  # label under the Hungarian matching (-1 if unmatched)
    mean_image: np.ndarray  # (28, 28) decoded cluster mean
    samples: np.ndarray  # (n, 28, 28) decoded draws from the cluster's full Gaussian


@torch.no_grad()
def cluster_cards(model: VaeGmm, rnd: int, n_samples: int = 6, seed: int = 0) -> list[ClusterCard]:
    """One card per cluster of round ``rnd`` (0 or last): decoded mean and draws z ~ N(mu_k, Lambda_k^-1), labels
    over the shown training digits."""
    i = 0 if rnd == 0 else 1
    state, vae = model.gmm(rnd), model.vaes[rnd]
    clusters, labels = model.shown_cluster[i, 0].numpy(), model.shown_label[0].numpy()
    mapping = match_clusters(labels, clusters, model.cfg.k)
    rng = np.random.default_rng(seed)
    cards = []
    for k in range(model.cfg.k):
        draws = rng.multivariate_normal(state.mu[k], state.cov[k], size=n_samples)
        z = torch.as_tensor(np.vstack([state.mu[k][None], draws]), dtype=torch.float32)
        imgs = torch.sigmoid(vae.decode(z)).reshape(-1, 28, 28).numpy()
        members = labels[clusters == k]
        counts = np.bincount(members, minlength=10)
        cards.append(ClusterCard(k, int(len(members)), int(counts.argmax()) if len(members) else -1,
                                 float(counts.max() / len(members)) if len(members) else 0.0, mapping[k],
                                 imgs[0], imgs[1:]))
    return cards


def confusion(model: VaeGmm, rnd_index: int, split: int) -> tuple[np.ndarray, list[int]]:
    """Counts of shown points, labels 0-9 x clusters ordered by matched label, and that order."""
    clusters = model.shown_cluster[rnd_index, split].numpy()
    labels = model.shown_label[split].numpy()
    mapping = match_clusters(labels, clusters, model.cfg.k)
    order = sorted(range(model.cfg.k), key=lambda c: (mapping[c] < 0, mapping[c], c))
    table = np.zeros((10, model.cfg.k), np.int64)
    np.add.at(table, (labels, clusters), 1)
    return table[:, order], order


@torch.no_grad()
def decoded(model: VaeGmm, rnd_index: int, split: int, rows: np.ndarray) -> np.ndarray:
    """Decoded latent means of shown points (len(rows), 28, 28), for when MNIST is not installed."""
    vae = model.vaes[0 if rnd_index == 0 else model.cfg.rounds - 1]
    z = model.shown_z[rnd_index, split][torch.as_tensor(np.asarray(rows, np.int64))]
    return torch.sigmoid(vae.decode(z)).reshape(-1, 28, 28).numpy()


def confusions(table: np.ndarray, order: list[int], mapping: dict[int, int],
               top: int = 3) -> list[tuple[int, int, int]]:
    """Largest off-diagonal cells of ``confusion``: (true digit, matched digit, count), largest first."""
    cells = [(int(table[d, j]), d, mapping[c]) for j, c in enumerate(order) for d in range(table.shape[0])
             if mapping[c] >= 0 and mapping[c] != d and table[d, j] > 0]
    return [(d, m, n) for n, d, m in sorted(cells, reverse=True)[:top]]


MODEL = "vae-gmm-mnist"  # the shipped model the page shows
SPLITS = {"test": 1, "train": 0}  # the page's splits -> their index in the model's stored maps


def _n_shown(got: dict) -> int:
    """Points per split on the page's maps (0 without the shipped model)."""
    try:
        return int(pretrained.load_card(MODEL).config["n_shown"])
    except (pretrained.PretrainedError, KeyError):
        return 0


# The page's controls, each declared once (dgm_core.controls); the selection is made on the maps themselves
PREFIX = "cl_"  # the page's keys in a link: ?cl_<control>=… (its widgets, its URL state, the deck)
CONTROLS: dict[str, Control] = {
    "round": Control("last", "Round", "radio", choices=["last", "0"], names={"last": "last round", "0": "round 0"}),
    "colour": Control("cluster", "Colour by", "radio", choices=["cluster", "label"],
                      names={"cluster": "GMM cluster", "label": "true digit"}),
    "split": Control("test", "Digits", "radio", choices=list(SPLITS),
                     names={"test": "held-out test", "train": "training"}),
    "perp": Control(0, "t-SNE perplexity", "radio", choices=[0, 1], names={0: "the first", 1: "the second"}),
    "sel": Control([], "selection", item=int, lo=0, hi=lambda got: _n_shown(got) - 1, max_items=200),
}

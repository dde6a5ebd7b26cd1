"""VAE + Bayesian GMM mutual learning, the rounds (after Neuro-SERKET, Taniguchi et al., arXiv 1910.08918): train a
fresh VAE whose KL for each digit is against the Gaussian the previous GMM gave it (round 0: N(0, I)), Gibbs-fit the
GMM to its latent means, score on train and test digits (Hungarian accuracy, ARI) against scikit-learn's variational
GMM. x: (N, 784) float32 in [0, 1]; latents: (N, d) float64.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from .vae_gmm import (ClusterVAE, Config, GMMState, NWPrior, VaeGmm, cluster_accuracy, gibbs_gmm, kept_start,
                      kmeans_start, predict, tsne_map, tsne_start)


Progress = Callable[[str, float, float], None]  # (what, fraction done, -ELBO or NaN) -> None


@dataclass
class RoundResult:
    round: int
    test_accuracy: float
    test_ari: float
    train_accuracy: float
    train_ari: float
    sklearn_test_accuracy: float  # BayesianGaussianMixture (variational) on the same latents
    sklearn_test_ari: float
    train_elbo: float  # per digit, nats, against the prior this round's VAE was trained with
    test_elbo: float
    seconds: float
    cluster_sizes: list[int] = field(default_factory=list)


def _batches(n: int, batch: int, g: torch.Generator):
    perm = torch.randperm(n, generator=g)
    return [perm[i:i + batch] for i in range(0, n, batch)]


def train_vae(vae: ClusterVAE, x: torch.Tensor, prior_mu: torch.Tensor, prior_cov: torch.Tensor, *,
              epochs: int, seed: int, batch: int = 100, lr: float = 1e-3,
              progress: Callable[[int, float], None] | None = None) -> list[float]:
    """Adam on -ELBO, row i's KL against (prior_mu[i], prior_cov[i]) (``ClusterVAE.terms``) -> mean -ELBO per epoch."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    losses = []
    vae.train()
    for epoch in range(epochs):
        total = 0.0
        for idx in _batches(len(x), batch, g):
            rec, kl = vae.terms(x[idx], prior_mu[idx], prior_cov[idx], g)
            loss = (kl - rec).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(x))
        if progress is not None:
            progress(epoch + 1, losses[-1])
    vae.eval()
    return losses


@torch.no_grad()
def encode(vae: ClusterVAE, x: torch.Tensor, batch: int = 2000) -> np.ndarray:
    """Latent means (N, d) float64."""
    return torch.cat([vae.encode(x[i:i + batch])[0] for i in range(0, len(x), batch)]).double().numpy()


@torch.no_grad()
def elbo(vae: ClusterVAE, x: torch.Tensor, prior_mu: torch.Tensor, prior_cov: torch.Tensor, seed: int = 0) -> float:
    """Mean ELBO per digit (one reparameterised draw per digit, fixed seed)."""
    g = torch.Generator().manual_seed(seed)
    rec, kl = vae.terms(x, prior_mu, prior_cov, g)
    return float((rec - kl).mean())


def cluster_priors(state: GMMState, assign: np.ndarray, full: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Each point's prior: its cluster's mean (N, d) and the diagonal of its covariance (N, d), or with ``full``
    its cluster's whole precision matrix (N, d, d)."""
    mu = torch.as_tensor(state.mu[assign], dtype=torch.float32)
    if full:
        return mu, torch.as_tensor(state.prec, dtype=torch.float32)[torch.as_tensor(assign)]
    return mu, torch.as_tensor(np.diagonal(state.cov, axis1=1, axis2=2)[assign], dtype=torch.float32)


def sklearn_baseline(z_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray, k: int,
                     seed: int) -> tuple[float, float]:
    """scikit-learn's variational Bayesian GMM (full covariances) on the same latents: test accuracy, ARI."""
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import BayesianGaussianMixture

    bgm = BayesianGaussianMixture(n_components=k, covariance_type="full", max_iter=500, random_state=seed)
    pred = bgm.fit(z_train).predict(z_test)
    return cluster_accuracy(y_test, pred, k), float(adjusted_rand_score(y_test, pred))


def mutual_learning(x_train: torch.Tensor, y_train: np.ndarray, x_test: torch.Tensor, y_test: np.ndarray,
                    cfg: Config = Config(), *, epochs: int = 30, gibbs: int = 100, seed: int = 0,
                    prior: NWPrior = NWPrior(), tsne: bool = True,
                    progress: Progress | None = None) -> tuple[VaeGmm, list[RoundResult]]:
    """``cfg.rounds`` rounds of VAE <-> GMM -> (the shipped model, one RoundResult per round)."""
    from sklearn.metrics import adjusted_rand_score

    if min(len(x_train), len(x_test)) < cfg.n_shown:
        raise ValueError(f"The page keeps {cfg.n_shown} points per split, but there are only {len(x_train)} training "
                         f"and {len(x_test)} test digits; lower n_shown.")
    model = VaeGmm(cfg)
    n, d = len(x_train), cfg.latent
    prior_mu, prior_cov = torch.zeros(n, d), torch.ones(n, d)
    history: list[RoundResult] = []
    test_clusters: list[np.ndarray] = []
    prev: GMMState | None = None
    for r in range(cfg.rounds):
        t0 = time.perf_counter()
        torch.manual_seed(seed * 1000 + r)
        vae = model.vaes[r]
        for layer in vae.modules():  # fresh weights every round, from this round's seed
            if isinstance(layer, torch.nn.Linear):
                layer.reset_parameters()
        step = (lambda e, loss, _r=r: progress(f"round {_r}: VAE epoch {e}/{epochs}",
                                               (_r + 0.8 * e / epochs) / cfg.rounds, loss)) if progress else None
        train_vae(vae, x_train, prior_mu, prior_cov, epochs=epochs, seed=seed * 1000 + r, progress=step)
        z_tr, z_te = encode(vae, x_train), encode(vae, x_test)
        if progress:
            progress(f"round {r}: Gibbs sampling", (r + 0.85) / cfg.rounds, float("nan"))
        if prev is not None and cfg.gibbs_start == "previous":
            start = prev.assign
        elif (cfg.first_start if prev is None else cfg.gibbs_start) == "tsne":
            start = tsne_start(z_tr, cfg.k, seed * 1000 + r)
        else:
            start = "kmeans"
        if (cfg.first_chain if prev is None else cfg.later_chain) == "start":
            labels = kmeans_start(z_tr, cfg.k, seed * 1000 + r) if isinstance(start, str) else start
            state = kept_start(z_tr, cfg.k, labels, seed * 1000 + r, prior)
        else:
            state = gibbs_gmm(z_tr, cfg.k, gibbs, seed * 1000 + r, prior, init=start)
        pred_te = predict(z_te, state)
        # a test digit's prior: the cluster the previous round's GMM gave it (as training digits had theirs)
        test_prior = (torch.zeros(len(x_test), d), torch.ones(len(x_test), d)) if prev is None else \
            cluster_priors(prev, test_clusters[-1], cfg.prior == "full")
        sk_acc, sk_ari = sklearn_baseline(z_tr, z_te, y_test, cfg.k, seed)
        history.append(RoundResult(
            r, cluster_accuracy(y_test, pred_te, cfg.k), float(adjusted_rand_score(y_test, pred_te)),
            cluster_accuracy(y_train, state.assign, cfg.k), float(adjusted_rand_score(y_train, state.assign)),
            sk_acc, sk_ari, elbo(vae, x_train, prior_mu, prior_cov, seed), elbo(vae, x_test, *test_prior, seed),
            time.perf_counter() - t0, np.bincount(state.assign, minlength=cfg.k).tolist()))
        model.gmm_pi[r] = torch.as_tensor(state.pi)
        model.gmm_mu[r] = torch.as_tensor(state.mu)
        model.gmm_prec[r] = torch.as_tensor(state.prec)
        if r in (0, cfg.rounds - 1):
            i = 0 if r == 0 else 1
            m = cfg.n_shown
            model.shown_z[i, 0] = torch.as_tensor(z_tr[:m])
            model.shown_z[i, 1] = torch.as_tensor(z_te[:m])
            model.shown_cluster[i, 0] = torch.as_tensor(state.assign[:m])
            model.shown_cluster[i, 1] = torch.as_tensor(pred_te[:m])
        test_clusters.append(pred_te)
        prior_mu, prior_cov = cluster_priors(state, state.assign, cfg.prior == "full")  # the next round's priors
        prev = state
    m = cfg.n_shown
    model.shown_label[0] = torch.as_tensor(y_train[:m])
    model.shown_label[1] = torch.as_tensor(y_test[:m])
    model.shown_index[0] = torch.arange(m)
    model.shown_index[1] = torch.arange(m)
    if tsne:
        for i in (0, 1):
            for j, perp in enumerate(cfg.perplexities):
                if progress:
                    progress(f"t-SNE (round {'0' if i == 0 else cfg.rounds - 1}, perplexity {perp})",
                             0.95 + 0.05 * (2 * i + j) / (2 * len(cfg.perplexities)), float("nan"))
                xy = tsne_map(model.shown_z[i].reshape(-1, d).double().numpy(), perp, seed)
                model.shown_tsne[i, j] = torch.as_tensor(xy.reshape(2, m, 2))
    return model, history


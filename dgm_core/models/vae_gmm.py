"""VAE + Bayesian GMM mutual learning (after Neuro-SERKET, Taniguchi et al., arXiv 1910.08918): the model and
the GMM's Gibbs sampler; the rounds are in models/vae_gmm_mutual.py.

c_d ~ Cat(pi), z_d ~ N(mu_c, Lambda_c^-1), x_d ~ Bernoulli(decoder(z_d)): the VAE's KL for point d is taken
against the Gaussian the GMM assigned to that point (indexed by the point, not its batch position); the GMM is
Gibbs-sampled on the VAE's latent means under Normal-Wishart priors, vectorised (no N x N matrix, no loop over points).
x: (B, 784) float32 in [0, 1]; z: (N, d) float64 for the GMM; assignments: (N,) int64.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from scipy.stats import wishart
from torch import nn

LOG_2PI = math.log(2 * math.pi)


# where a round's Gibbs chain starts, by name: what the card's notes, the Results page and the Clusters page call it
GIBBS_STARTS = {"kmeans": "k-means", "previous": "the previous round's clusters", "tsne": "k-means on a t-SNE map"}
FIRST_STARTS = tuple(s for s in GIBBS_STARTS if s != "previous")  # round 0 has no previous round
# what a round does from its start: run the Gibbs chain, or keep the start's clusters (the GMM's parameters drawn
# once given them); from a t-SNE start the chain climbs the GMM's likelihood while it agrees less with the digits
CHAINS = ("gibbs", "start")


def start_words(start: str, chain: str = "gibbs") -> str:
    """Where a round's clusters come from, in words: the start of its chain, or the start kept as it is."""
    words = GIBBS_STARTS.get(start, start)
    return words if chain == "gibbs" else f"{words} (kept)"


@dataclass(frozen=True)
class Config:
    latent: int = 12
    hidden: int = 256  # 784-256-d, ReLU
    depth: int = 1  # hidden layers in the encoder and in the decoder
    k: int = 10  # clusters
    rounds: int = 3  # round 0 (prior N(0, I)) and rounds 1.. of mutual learning; all are kept
    n_shown: int = 2000  # points per split kept for the page (t-SNE coordinates, latents, labels)
    perplexities: tuple[int, ...] = (30, 5)  # the shipped t-SNE pictures
    # start of round r >= 1's Gibbs chain: "kmeans" (afresh) or "previous" (the assignments behind this round's priors)
    gibbs_start: str = "kmeans"
    # a digit's prior in rounds >= 1: its cluster's Gaussian with the covariance's "diagonal" or "full" covariance
    prior: str = "diag"
    # start of round 0's Gibbs chain: "kmeans" on the latents, or "tsne": k-means on a 2-D t-SNE map of the
    # latents (the neighbourhoods a Gaussian in 12 dimensions cannot follow; no labels used)
    first_start: str = "kmeans"
    first_chain: str = "gibbs"  # round 0 from its start: a Gibbs chain, or the start's clusters kept (CHAINS)
    later_chain: str = "gibbs"  # the same for rounds >= 1, from gibbs_start

    def __post_init__(self) -> None:
        object.__setattr__(self, "perplexities", tuple(int(p) for p in self.perplexities))
        if self.gibbs_start not in GIBBS_STARTS:
            raise ValueError(f"gibbs_start must be one of {', '.join(GIBBS_STARTS)}, not {self.gibbs_start!r}.")
        if self.first_start not in FIRST_STARTS:
            raise ValueError(f"first_start must be one of {', '.join(FIRST_STARTS)}, not {self.first_start!r}.")
        for name in ("first_chain", "later_chain"):
            if getattr(self, name) not in CHAINS:
                raise ValueError(f"{name} must be one of {', '.join(CHAINS)}, not {getattr(self, name)!r}.")
        if self.prior not in ("diag", "full"):
            raise ValueError(f"prior must be 'diag' or 'full', not {self.prior!r}.")
        if self.rounds < 2:
            raise ValueError("Mutual learning needs at least 2 rounds (round 0 is the plain VAE).")


def network(cfg: Config) -> str:
    """The encoder's layer sizes, e.g. '784-256-12'."""
    return "-".join(map(str, [784] + [cfg.hidden] * cfg.depth + [cfg.latent]))


def _relu_mlp(n_in: int, hidden: int, depth: int, n_out: int) -> nn.Sequential:
    sizes = [n_in] + [hidden] * depth
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], n_out))


class ClusterVAE(nn.Module):
    """ReLU MLPs 784-hidden-(2 d) and d-hidden-784 (logits), ``depth`` hidden layers each."""

    def __init__(self, latent: int = 12, hidden: int = 256, depth: int = 1) -> None:
        super().__init__()
        self.enc = _relu_mlp(784, hidden, depth, 2 * latent)
        self.dec = _relu_mlp(latent, hidden, depth, 784)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 784) -> mean, log-variance, each (B, d)."""
        mu, logvar = self.enc(x).chunk(2, -1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (..., d) -> Bernoulli logits (..., 784)."""
        return self.dec(z)

    def terms(self, x: torch.Tensor, prior_mu: torch.Tensor, prior_cov: torch.Tensor,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per point: (expected log-likelihood, KL(q(z|x) || its prior)), each (B,). prior_mu: (B, d), row i is data
        point i's own prior's mean; prior_cov: its variances (B, d) (a diagonal covariance) or its precision
        matrix (B, d, d) (a full one)."""
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps
        rec = -F.binary_cross_entropy_with_logits(self.decode(z), x, reduction="none").sum(-1)
        kl = kl_diag if prior_cov.dim() == 2 else kl_full
        return rec, kl(mu, logvar, prior_mu, prior_cov)


def kl_diag(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, var_p: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_q, diag e^logvar_q) || N(mu_p, diag var_p)), summed over the last dim: (B, d) -> (B,)."""
    var_q = logvar_q.exp()
    return 0.5 * (torch.log(var_p) - logvar_q + (var_q + (mu_q - mu_p) ** 2) / var_p - 1.0).sum(-1)


def kl_full(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor, prec_p: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_q, diag e^logvar_q) || N(mu_p, prec_p^-1)): (B, d), (B, d), (B, d), (B, d, d) -> (B,).
    0.5 (tr(Lambda S_q) + (mu_p - mu_q)^T Lambda (mu_p - mu_q) - d - log|Lambda| - log|S_q|)."""
    diff = mu_p - mu_q
    trace = (torch.diagonal(prec_p, dim1=-2, dim2=-1) * logvar_q.exp()).sum(-1)
    quad = torch.einsum("bi,bij,bj->b", diff, prec_p, diff)
    return 0.5 * (trace + quad - mu_q.shape[-1] - torch.logdet(prec_p) - logvar_q.sum(-1))


class VaeGmm(nn.Module):
    """Every round's VAE and last GMM state, plus what the page draws without data (round 0 and last, train and
    test). gmm_pi (R, K), gmm_mu (R, K, d), gmm_prec (R, K, d, d); shown_z (2 rounds, 2 splits, n, d),
    shown_tsne (2, P perplexities, 2, n, 2), shown_cluster (2, 2, n), shown_label, shown_index (2, n) (MNIST row)."""

    Config = Config

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        r, k, d, n, p = cfg.rounds, cfg.k, cfg.latent, cfg.n_shown, len(cfg.perplexities)
        self.vaes = nn.ModuleList([ClusterVAE(d, cfg.hidden, cfg.depth) for _ in range(r)])
        self.register_buffer("gmm_pi", torch.full((r, k), 1.0 / k))
        self.register_buffer("gmm_mu", torch.zeros(r, k, d))
        self.register_buffer("gmm_prec", torch.eye(d).expand(r, k, d, d).clone())
        self.register_buffer("shown_z", torch.zeros(2, 2, n, d))
        self.register_buffer("shown_tsne", torch.zeros(2, p, 2, n, 2))
        self.register_buffer("shown_cluster", torch.zeros(2, 2, n, dtype=torch.int64))
        self.register_buffer("shown_label", torch.zeros(2, n, dtype=torch.int64))
        self.register_buffer("shown_index", torch.zeros(2, n, dtype=torch.int64))

    def gmm(self, rnd: int) -> GMMState:
        """Round ``rnd``'s last Gibbs state (assignments not kept: an empty array)."""
        return GMMState(self.gmm_pi[rnd].double().numpy(), self.gmm_mu[rnd].double().numpy(),
                        self.gmm_prec[rnd].double().numpy(), np.zeros(0, np.int64))


# ------------------------------------------------------------------------------------ the GMM
@dataclass
class GMMState:
    pi: np.ndarray  # (K,)
    mu: np.ndarray  # (K, d)
    prec: np.ndarray  # (K, d, d) precision matrices
    assign: np.ndarray  # (N,) cluster of each point

    @property
    def cov(self) -> np.ndarray:
        return np.linalg.inv(self.prec)


@dataclass(frozen=True)
class NWPrior:
    """pi ~ Dir(alpha 1_K); (mu_k, Lambda_k) ~ NW(m = 0, beta, W = w_scale I, nu = d + nu_extra)."""

    alpha: float = 0.3
    beta: float = 1.0
    w_scale: float = 0.55
    nu_extra: float = 0.0


def log_joint_terms(z: np.ndarray, state: GMMState) -> np.ndarray:
    """log pi_k + log N(z_n | mu_k, Lambda_k^-1): (N, K), through the Cholesky factor of each Lambda_k."""
    chol = np.linalg.cholesky(state.prec)  # Lambda = L L^T, so (z - mu)^T Lambda (z - mu) = |L^T (z - mu)|^2
    proj = np.matmul(z[None], chol) - np.matmul(state.mu[:, None, :], chol)  # (K, N, d): L^T (z - mu)
    half_logdet = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(-1)
    return (np.log(np.maximum(state.pi, 1e-300)) + half_logdet - 0.5 * z.shape[1] * LOG_2PI
            - 0.5 * (proj ** 2).sum(-1).T)


def predict(z: np.ndarray, state: GMMState) -> np.ndarray:
    """The most probable cluster of each point under one GMM state: (N,)."""
    return log_joint_terms(z, state).argmax(1)


def sample_params(z: np.ndarray, assign: np.ndarray, k: int, prior: NWPrior, rng: np.random.Generator,
                  fixed_precision: np.ndarray | None = None) -> GMMState:
    """(pi, mu, Lambda) | assignments, Normal-Wishart conjugate (m = 0): beta_k = N_k + beta, m_k = S_k / beta_k,
    W_k^-1 = W^-1 + Q_k - beta_k m_k m_k^T, nu_k = nu + N_k; Lambda_k ~ W(nu_k, W_k),
    mu_k ~ N(m_k, (beta_k Lambda_k)^-1), pi ~ Dir(alpha + N). ``fixed_precision`` (d, d): Lambda known."""
    n, d = z.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), assign] = 1.0
    counts = onehot.sum(0)
    sums = onehot.T @ z  # (K, d)
    scatter = np.matmul((onehot.T[:, :, None] * z[None]).transpose(0, 2, 1), z)  # (K, d, d): sum_k z z^T
    beta_k = counts + prior.beta
    m_k = sums / beta_k[:, None]
    w_inv = np.eye(d) / prior.w_scale + scatter - beta_k[:, None, None] * np.einsum("ki,kj->kij", m_k, m_k)
    nu_k = d + prior.nu_extra + counts
    prec = np.empty((k, d, d))
    mu = np.empty((k, d))
    for j in range(k):  # K draws (not N): scipy's Wishart and a Cholesky solve each
        if fixed_precision is not None:
            prec[j] = fixed_precision
        else:
            w = np.linalg.inv(0.5 * (w_inv[j] + w_inv[j].T))
            prec[j] = np.atleast_2d(wishart.rvs(df=nu_k[j], scale=0.5 * (w + w.T), random_state=rng))
        chol = np.linalg.cholesky(beta_k[j] * prec[j])  # cov = (L L^T)^-1: mu = m + L^-T eps
        mu[j] = m_k[j] + np.linalg.solve(chol.T, rng.standard_normal(d))
    pi = rng.dirichlet(prior.alpha + counts)
    return GMMState(pi, mu, prec, assign)


def gibbs_gmm(z: np.ndarray, k: int, iterations: int = 100, seed: int = 0, prior: NWPrior = NWPrior(),
              init: np.ndarray | str | None = "kmeans", fixed_precision: np.ndarray | None = None,
              trace: list | None = None) -> GMMState:
    """Gibbs on z: (N, d): parameters | assignments, then all assignments at once (Gumbel-max) -> the LAST state,
    never a best one picked afterwards. ``init``: (N,) assignments, "kmeans" or None (uniform); ``trace``: gets each
    state."""
    rng = np.random.default_rng(seed)
    z = np.asarray(z, np.float64)
    if init is None:
        assign = rng.integers(0, k, len(z))
    elif isinstance(init, str) and init == "kmeans":
        assign = kmeans_start(z, k, seed)
    else:
        assign = np.asarray(init, np.int64)
    state = GMMState(np.full(k, 1.0 / k), np.zeros((k, z.shape[1])), np.tile(np.eye(z.shape[1]), (k, 1, 1)), assign)
    for _ in range(iterations):
        state = sample_params(z, assign, k, prior, rng, fixed_precision)
        logits = log_joint_terms(z, state)
        assign = (logits + rng.gumbel(size=logits.shape)).argmax(1)
        state = GMMState(state.pi, state.mu, state.prec, assign)
        if trace is not None:
            trace.append(state)
    return state


def kmeans_start(z: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Assignments (N,) for a chain's start: scikit-learn's k-means on z (3 starts), seeded: a start spread out."""
    from sklearn.cluster import KMeans

    return KMeans(k, n_init=3, random_state=seed).fit_predict(z).astype(np.int64)


def kept_start(z: np.ndarray, k: int, assign: np.ndarray, seed: int = 0, prior: NWPrior = NWPrior()) -> GMMState:
    """The GMM of a start kept as it is: (pi, mu, Lambda) drawn once from their conditional given the assignments
    (N,), which stay: the state a Gibbs chain of zero assignment steps would hold."""
    z = np.asarray(z, np.float64)
    return sample_params(z, np.asarray(assign, np.int64), k, prior, np.random.default_rng(seed))


def tsne_map(z: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    """scikit-learn's t-SNE of latents (N, d) -> (N, 2), PCA initialisation, fixed seed."""
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(z)


def tsne_start(z: np.ndarray, k: int, seed: int, perplexity: float = 30.0) -> np.ndarray:
    """Assignments (N,) for a Gibbs chain's start: k-means (10 starts, the lowest inertia) on the 2-D t-SNE map of
    z (``tsne_map``): no labels, and neighbourhoods a Gaussian in the latent space cannot follow."""
    from sklearn.cluster import KMeans

    return KMeans(k, n_init=10, random_state=seed).fit_predict(tsne_map(z, perplexity, seed)).astype(np.int64)


# ------------------------------------------------------------------------------------ scores
def match_clusters(labels: np.ndarray, clusters: np.ndarray, k: int, n_labels: int = 10) -> dict[int, int]:
    """cluster -> label under the one-to-one matching maximising agreement (Hungarian); unmatched -> -1."""
    table = np.zeros((k, n_labels), np.int64)
    np.add.at(table, (clusters, labels), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    out = {c: -1 for c in range(k)}
    out.update({int(r): int(c) for r, c in zip(rows, cols)})
    return out


def cluster_accuracy(labels: np.ndarray, clusters: np.ndarray, k: int, n_labels: int = 10) -> float:
    """Fraction of points whose cluster's matched label is their label."""
    mapping = match_clusters(labels, clusters, k, n_labels)
    return float(np.mean(np.vectorize(mapping.get)(clusters) == labels)) if len(labels) else float("nan")

"""Mixture of factor analysers, the baseline of DMFA (Przewięźlikowski et al., arXiv 2010.02183; Richardson & Weiss,
"On GANs and GMMs", arXiv 1805.12462): fit p(x) = Σ_k pi_k N(mu_k, A_kᵀA_k + diag(d_k)) by EM, then p(x_m | x_o) is
again an MFA with weights p(k | x_o), means mu_m + A_mᵀ E[z | x_o, k] and factors G_k A_m,
G_kᵀG_k = (I + A_o D_o⁻¹ A_oᵀ)⁻¹. Its conditional is a dmfa.Output. N images, K components, l factors, D = C·H·W;
masks True = observed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from dgm_core.imputation import Imputation, batch_mask
from dgm_core.models.dmfa import LOG_2PI, Output, impute_from, lowrank_nll, mixture_nll


@dataclass(frozen=True)
class Config:
    shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W)
    n_mixes: int = 10  # K
    n_factors: int = 10  # l
    d_floor: float = 1e-4  # same variance floor as DMFA, so their NLLs are comparable

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))


class MFA(nn.Module):
    """Buffers (fitted by EM, saved to safetensors): logits (K,) log pi; mu (K, D); A (K, l, D); d (K, D)."""

    Config = Config

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        k, l, dim = cfg.n_mixes, cfg.n_factors, cfg.shape[0] * cfg.shape[1] * cfg.shape[2]
        self.register_buffer("logits", torch.zeros(k))
        self.register_buffer("mu", torch.full((k, dim), 0.5))
        self.register_buffer("A", torch.zeros(k, l, dim))
        self.register_buffer("d", torch.full((k, dim), 0.1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Output:
        """The analytic conditional p(x_m | x_o). x: (B, C, H, W); mask: (B, 1|C, H, W) -> Output."""
        b = x.shape[0]
        xf = x.reshape(b, 1, -1).double()  # float64: D⁻¹ with d ~ 1e-4 squares condition numbers
        obs = mask.expand_as(x).reshape(b, 1, -1)
        o = obs.double()
        mu, A, d = self.mu.double(), self.A.double(), self.d.double()  # (K, D), (K, l, D), (K, D)
        log_px_o = -lowrank_nll(xf, mu, A, d, obs)  # (B, K): log N(x_o; mu_o, Sigma_oo)
        logits = torch.log_softmax(self.logits.double(), 0) + log_px_o  # log p(k | x_o) + const
        a_o = A * o.unsqueeze(-2)  # (B, K, l, D)
        a_od = a_o / d.unsqueeze(-2)
        eye = torch.eye(A.shape[1], dtype=xf.dtype, device=x.device)
        chol = torch.linalg.cholesky(eye + a_od @ a_o.transpose(-1, -2))  # (B, K, l, l)
        v = a_od @ ((xf - mu) * o).unsqueeze(-1)  # A_o D_o⁻¹ (x_o - mu_o): (B, K, l, 1)
        ez = torch.cholesky_solve(v, chol)  # E[z | x_o, k]
        mean = mu + (ez.transpose(-1, -2) @ A).squeeze(-2)  # (B, K, D)
        # Cov(z | x_o) = (C Cᵀ)⁻¹ = (C⁻¹)ᵀ C⁻¹, so the conditional factors are C⁻¹ A
        a_cond = torch.linalg.solve_triangular(chol, A.expand_as(a_o), upper=False)
        return Output(logits.to(x.dtype), mean.to(x.dtype), a_cond.to(x.dtype), d.expand_as(mean).to(x.dtype))

    def nll(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mixture NLL of the missing pixels of x given its observed ones -> (B,)."""
        return mixture_nll(x, mask, self(x, mask))


def _shared_woodbury(x: torch.Tensor, mu: torch.Tensor, A: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """log N(x; mu, AᵀA + diag d) -> (N,), x: (N, D), A: (l, D); shared by all rows: one l×l Cholesky."""
    r = x - mu
    a_d = A / d
    chol = torch.linalg.cholesky(torch.eye(A.shape[0], dtype=x.dtype) + a_d @ A.T)
    w = torch.linalg.solve_triangular(chol, a_d @ r.T, upper=False)  # (l, N)
    quad = (r * r / d).sum(1) - w.pow(2).sum(0)
    logdet = 2 * torch.log(torch.diagonal(chol)).sum() + torch.log(d).sum()
    return -0.5 * (quad + logdet + x.shape[1] * LOG_2PI)


def fit(cfg: Config, x: torch.Tensor, *, iters: int = 30, seed: int = 0,
        progress=None) -> tuple[MFA, list[float]]:
    """EM on complete images x: (N, C, H, W) -> (model, log-lik per iter). k-means + PPCA start; ECM M-step
    (mu_k, then loadings and diagonal from centred moments: monotone)."""
    from sklearn.cluster import KMeans

    X = x.reshape(x.shape[0], -1).double()
    n, dim = X.shape
    K, l, floor = cfg.n_mixes, cfg.n_factors, cfg.d_floor
    labels = (KMeans(K, n_init=1, random_state=seed, max_iter=50).fit_predict(X.float().numpy())
              if K > 1 else torch.zeros(n, dtype=torch.long).numpy())
    h = torch.nn.functional.one_hot(torch.as_tensor(labels).long(), K).double()  # (N, K)
    model = MFA(cfg)
    mu, A, d = (torch.zeros(K, dim, dtype=X.dtype), torch.zeros(K, l, dim, dtype=X.dtype),
                torch.zeros(K, dim, dtype=X.dtype))
    for k in range(K):
        xc = X[h[:, k] > 0] - X[h[:, k] > 0].mean(0)
        mu[k] = X[h[:, k] > 0].mean(0)
        _, s, vt = torch.linalg.svd(xc, full_matrices=False)  # deterministic, unlike svd_lowrank
        var = xc.pow(2).mean(0)
        q = min(l, s.shape[0])  # a tiny cluster (dry runs) has fewer directions than factors
        A[k, :q] = vt[:q] * (s[:q, None] / xc.shape[0] ** 0.5) * 0.9  # PPCA-like start
        d[k] = (var - A[k].pow(2).sum(0)).clamp_min(floor)
    log_pi = h.mean(0).clamp_min(1e-8).log()
    history = []
    for it in range(iters):
        logp = torch.stack([_shared_woodbury(X, mu[k], A[k], d[k]) for k in range(K)], 1) + log_pi
        ll = torch.logsumexp(logp, 1)
        history.append(ll.mean().item())
        h = torch.exp(logp - ll[:, None])
        nk = h.sum(0).clamp_min(1e-6)
        for k in range(K):
            hk = h[:, k:k + 1]
            mu[k] = (hk * X).sum(0) / nk[k]
            xc = X - mu[k]
            a_d = A[k] / d[k]
            beta = torch.linalg.solve(torch.eye(l, dtype=X.dtype) + a_d @ A[k].T, a_d)  # (l, D)
            z = xc @ beta.T  # E[z | x, k]: (N, l)
            xz = xc.T @ (hk * z)  # (D, l)
            ezz = nk[k] * (torch.eye(l, dtype=X.dtype) - beta @ A[k].T) + z.T @ (hk * z)
            lam = torch.linalg.solve(ezz, xz.T).T  # (D, l)
            d[k] = (((hk * xc * xc).sum(0) - (lam * xz).sum(1)) / nk[k]).clamp_min(floor)
            A[k] = lam.T
        log_pi = (nk / n).log()
        if progress:
            progress(it, it, -history[-1])
    model.logits.copy_(log_pi.float())
    model.mu.copy_(mu.float())
    model.A.copy_(A.float())
    model.d.copy_(d.float())
    return model.eval(), history


@torch.no_grad()
def impute(model: MFA, x: torch.Tensor, mask: torch.Tensor, n_samples: int = 8,
           generator: torch.Generator | None = None, truth: torch.Tensor | None = None) -> Imputation:
    """Same contract as dmfa.impute (diagnostics "factors", "weights" = p(k | x_o), "nll" with truth)."""
    t0 = time.perf_counter()
    mask = batch_mask(mask, x)
    out = model(x, mask)
    res = impute_from(out, x, mask, n_samples, generator, "mfa")
    if truth is not None:
        res.diagnostics.nll = mixture_nll(truth, mask, out)
    res.seconds = time.perf_counter() - t0
    return res

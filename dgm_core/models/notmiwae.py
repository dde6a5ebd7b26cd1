"""not-MIWAE and MIWAE for tables (Ipsen, Mattei & Frellsen, "not-MIWAE: Deep Generative Modelling with
Missing not at Random Data", arXiv 2006.12871; Mattei & Frellsen, "MIWAE", arXiv 1812.02633).

When values go missing because of their value, the mask carries information: not-MIWAE models p(z) p(x|z) p(s|x)
and maximises L_K = E log (1/K) Σ_k p(s | x^o, x^m_k) p(x^o | z_k) p(z_k) / q(z_k | x^o) (paper eq. 8), z and x^m
reparameterised so p(s|x)'s gradient reaches the decoder; ``missing="none"`` is MIWAE.
x: (B, D) float32 (missing entries never read); s: (B, D) bool, True = observed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

LOG_2PI = math.log(2 * math.pi)
DECODERS = ("gaussian", "student_t", "bernoulli", "ppca")
MISSING_MODELS = ("none", "selfmasking", "selfmasking_known", "linear", "nonlinear")


@dataclass(frozen=True)
class Config:
    n_features: int
    latent: int = 0  # 0: D - 1, the paper's choice
    hidden: int = 128
    decoder: str = "gaussian"
    missing: str = "selfmasking_known"  # "none" = MIWAE
    signs: tuple[float, ...] | None = None  # selfmasking_known: +1 high / -1 low values go missing
    # selfmasking_known: starting steepness W; None = Glorot draw under the softplus (W ≈ 0.7). For a sharp
    # cut start steep: Adam moves W by ≈ lr a step, and a shallow W pushes imputations far past the threshold.
    w_init: float | None = None
    min_scale: float = 1e-3  # decoder sd floor: an unbounded Gaussian likelihood is ill-posed
    task: str = ""  # "" | "classification" | "regression": supMIWAE / sup-not-MIWAE
    n_classes: int = 0

    def __post_init__(self) -> None:
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, not {self.decoder!r}")
        if self.missing not in MISSING_MODELS:
            raise ValueError(f"missing model must be one of {MISSING_MODELS}, not {self.missing!r}")
        if self.signs is not None:
            object.__setattr__(self, "signs", tuple(float(s) for s in self.signs))
            if len(self.signs) != self.n_features:
                raise ValueError("signs needs one +1/-1 per feature")
        if self.task not in ("", "classification", "regression"):
            raise ValueError(f"task must be '', 'classification' or 'regression', not {self.task!r}")
        if self.w_init is not None and (self.missing != "selfmasking_known" or not 0 < self.w_init <= 100):
            raise ValueError("w_init is a starting steepness between 0 and 100, for the known-direction "
                             "self-masking model only")

    @property
    def d_latent(self) -> int:
        return self.latent or max(self.n_features - 1, 1)


def _mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    # 2 hidden tanh layers of 128: the paper's UCI architecture (App. A.1)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, n_out))


class NotMIWAE(nn.Module):
    """Tabular (not-)MIWAE, optionally supervised. x: (B, D) standardised features."""

    Config = Config

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        d, h, p = cfg.n_features, cfg.hidden, cfg.d_latent
        self.encoder = _mlp(d, h, 2 * p)  # input: zero-imputed x (paper)
        n_par = {"gaussian": 2, "student_t": 3, "bernoulli": 1, "ppca": 1}[cfg.decoder]
        self.decoder = nn.Linear(p, d) if cfg.decoder == "ppca" else _mlp(p, h, n_par * d)
        if cfg.decoder == "ppca":
            self.log_sigma = nn.Parameter(torch.zeros(()))  # one variance shared by all features
        if cfg.missing in ("selfmasking", "selfmasking_known"):
            # Glorot-like init, as the paper's code
            self.w_raw = nn.Parameter(torch.randn(d) * math.sqrt(2.0 / (d + 1)))
            if cfg.w_init is not None:  # softplus(w_raw) = w_init; drawn first, so the other weights are unchanged
                self.w_raw.data.fill_(math.log(math.expm1(cfg.w_init)))
            self.b = nn.Parameter(torch.zeros(d))
            signs = torch.tensor(cfg.signs) if cfg.signs is not None else torch.ones(d)
            self.register_buffer("signs", signs, persistent=False)
        elif cfg.missing == "linear":
            self.miss_net = nn.Linear(d, d)
        elif cfg.missing == "nonlinear":
            self.miss_net = nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, d))
        if cfg.task:
            n_out = cfg.n_classes if cfg.task == "classification" else 1
            self.head = _mlp(d, h, n_out)
            if cfg.task == "regression":
                self.y_log_sigma = nn.Parameter(torch.zeros(()))

    # --- p(x | z) ---------------------------------------------------------------------------
    def decode(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """z: (..., p) -> parameters, each (..., D): loc, scale (, df) or logits."""
        out = self.decoder(z)
        c = self.cfg
        if c.decoder == "ppca":
            return {"loc": out, "scale": (F.softplus(self.log_sigma) + c.min_scale).expand_as(out)}
        if c.decoder == "bernoulli":
            return {"logits": out}
        parts = out.chunk(3 if c.decoder == "student_t" else 2, -1)
        par = {"loc": parts[0], "scale": F.softplus(parts[1]) + c.min_scale}
        if c.decoder == "student_t":
            par["df"] = 3.0 + F.softplus(parts[2])  # df > 3: the first three moments exist
        return par

    def log_px(self, x: torch.Tensor, par: dict[str, torch.Tensor]) -> torch.Tensor:
        """Elementwise log p(x_j | z): (..., D)."""
        if "logits" in par:
            return -F.binary_cross_entropy_with_logits(par["logits"], x.expand_as(par["logits"]), reduction="none")
        u = (x - par["loc"]) / par["scale"]
        if "df" in par:
            df = par["df"]
            return (torch.lgamma((df + 1) / 2) - torch.lgamma(df / 2) - 0.5 * torch.log(df * math.pi)
                    - torch.log(par["scale"]) - (df + 1) / 2 * torch.log1p(u * u / df))
        return -0.5 * (u * u + LOG_2PI) - torch.log(par["scale"])

    def noise(self, k: int, b: int, generator: torch.Generator | None = None,
              device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Noise of one bound evaluation, drawn outside so the bound is pure (``torch.compile`` cannot trace a
        Generator): z: (K, B, p) normal; x: (K, B, D) normal (uniform for the Bernoulli Gumbel-sigmoid)."""
        eps_z = torch.randn((k, b, self.cfg.d_latent), generator=generator, device=device)
        shape = (k, b, self.cfg.n_features)
        eps_x = (torch.rand(shape, generator=generator, device=device).clamp(1e-6, 1 - 1e-6)
                 if self.cfg.decoder == "bernoulli" else torch.randn(shape, generator=generator, device=device))
        return {"z": eps_z, "x": eps_x}

    def sample_x(self, par: dict[str, torch.Tensor], eps: torch.Tensor, relaxed: bool = True) -> torch.Tensor:
        """Reparameterised x ~ p(x | z) from ``noise()["x"]``: (..., D). Bernoulli: Gumbel-sigmoid (T = 0.5) if
        relaxed."""
        if "logits" in par:
            lg = par["logits"]
            if relaxed:
                return torch.sigmoid((lg + torch.log(eps) - torch.log1p(-eps)) / 0.5)
            return (eps < torch.sigmoid(lg)).to(lg.dtype)
        if "df" in par:  # t = N / sqrt(G / df), G ~ Gamma(df/2, 1/2): _standard_gamma is reparameterised
            g = torch._standard_gamma(par["df"] / 2) * 2
            eps = eps * torch.rsqrt(g / par["df"])
        return par["loc"] + par["scale"] * eps

    def mean(self, par: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(par["logits"]) if "logits" in par else par["loc"]

    # --- p(s | x) ---------------------------------------------------------------------------
    def self_mask_w(self) -> torch.Tensor:
        """(D,) W of logit P(s = 1 | x) = -W (x - b); W > 0 means high values go missing."""
        if self.cfg.missing == "selfmasking_known":
            return self.signs * F.softplus(self.w_raw)
        return self.w_raw

    def logits_s(self, x: torch.Tensor) -> torch.Tensor:
        """logit P(s_j = 1 | x) for a complete x: (..., D) -> (..., D)."""
        if self.cfg.missing in ("selfmasking", "selfmasking_known"):
            return -self.self_mask_w() * (x - self.b)
        return self.miss_net(x)

    def log_ps(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """sum_j log p(s_j | x): (..., D) complete x, (B, D) float s -> (...)."""
        if self.cfg.missing == "none":
            return torch.zeros(x.shape[:-1], device=x.device)
        lg = self.logits_s(x)
        return -F.binary_cross_entropy_with_logits(lg, s.expand_as(lg), reduction="none").sum(-1)

    # --- the bound --------------------------------------------------------------------------
    def log_weights(self, x: torch.Tensor, s: torch.Tensor, k: int, generator: torch.Generator | None = None,
                    y: torch.Tensor | None = None, relaxed: bool = True,
                    noise: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """x, s: (B, D) -> {log_w (incl. p(s|x)), log_ps, log_y: (K, B); x_full: (K, B, D); par: decoder at z_k}.
        ``noise``: a ``noise(k, B)`` draw used instead of ``generator``."""
        if noise is None:
            noise = self.noise(k, x.shape[0], generator, x.device)
        sf = s.to(x.dtype)
        xo = torch.where(s, x, torch.zeros((), dtype=x.dtype))  # zero-imputed; hidden values never read
        mu, log_sig = self.encoder(xo).chunk(2, -1)
        log_sig = log_sig.clamp(-10.0, 10.0)
        eps = noise["z"]
        z = mu + log_sig.exp() * eps  # (K, B, p)
        par = self.decode(z)
        log_px = (self.log_px(xo, par) * sf).sum(-1)  # observed coordinates only
        # log p(z) - log q(z|x): the (eps^2) terms of q and z^2 of the prior, constants cancel
        log_pz_q = 0.5 * (eps * eps - z * z).sum(-1) + log_sig.sum(-1)
        x_full = xo + (1 - sf) * self.sample_x(par, noise["x"], relaxed)  # x^o with sampled x^m
        log_ps = self.log_ps(x_full, sf)
        log_w = log_px + log_pz_q + log_ps
        out = {"log_w": log_w, "log_ps": log_ps, "x_full": x_full, "par": par}
        if y is not None and self.cfg.task:
            out["log_y"] = self.log_py(x_full, y)
        return out

    def log_py(self, x_full: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """log p(y | x) for completed x: (K, B, D), y: (B,) -> (K, B)."""
        out = self.head(x_full)
        if self.cfg.task == "classification":
            return torch.log_softmax(out, -1).gather(-1, y.long().view(1, -1, 1).expand(out.shape[0], -1, 1))[..., 0]
        sig = F.softplus(self.y_log_sigma) + 1e-3
        u = (y.to(out.dtype) - out[..., 0]) / sig
        return -0.5 * (u * u + LOG_2PI) - torch.log(sig)

    def bound(self, x: torch.Tensor, s: torch.Tensor, k: int = 20, generator: torch.Generator | None = None,
              y: torch.Tensor | None = None, noise: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """not-MIWAE (or MIWAE, or supervised) bound per row -> (B,)."""
        t = self.log_weights(x, s, k, generator, y, noise=noise)
        log_w = t["log_w"] + t["log_y"] if "log_y" in t else t["log_w"]
        return torch.logsumexp(log_w, 0) - math.log(k)

    # --- what was learnt ----------------------------------------------------------------------
    @torch.no_grad()
    def mechanism(self, mean: torch.Tensor | None = None, sd: torch.Tensor | None = None) -> dict[str, list]:
        """Per feature: W, b (standardised), direction, and threshold and steepness in original units
        (mean, sd: (D,) of the standardisation)."""
        if self.cfg.missing not in ("selfmasking", "selfmasking_known"):
            raise ValueError("Only self-masking models have a per-feature W and b to read out.")
        w, b = self.self_mask_w().cpu(), self.b.detach().cpu()
        mean = torch.zeros_like(b) if mean is None else torch.as_tensor(mean, dtype=b.dtype)
        sd = torch.ones_like(b) if sd is None else torch.as_tensor(sd, dtype=b.dtype)
        return {"W": w.tolist(), "b": b.tolist(),
                "direction": ["high values missing" if v > 0 else "low values missing" for v in w.tolist()],
                "threshold": (mean + sd * b).tolist(), "steepness": (w / sd).tolist()}


    def sensitivity(self, x: torch.Tensor) -> torch.Tensor:
        """(D, D) map M[j, k]: how logit P(x_j missing) moves with x_k, per unit of the model's x. Linear: its logit
        weights; self-masking: diag(W); nonlinear: ∂ logit P(missing_j | x)/∂x_k averaged over the completed rows
        x: (N, D), so that every map is in one unit."""
        c = self.cfg
        d = c.n_features
        if c.missing == "none":
            raise ValueError("MIWAE has no missing model to read.")
        if c.missing in ("selfmasking", "selfmasking_known"):
            return torch.diag(self.self_mask_w().detach().cpu())
        if c.missing == "linear":  # logit P(s = 1) = A x + a, so logit P(missing) = -A x - a
            return -self.miss_net.weight.detach().cpu().clone()
        xt = torch.as_tensor(x, dtype=torch.float32).detach().requires_grad_(True)
        with torch.enable_grad():
            logit_missing = -self.logits_s(xt)  # (N, D)
            rows = [torch.autograd.grad(logit_missing[:, j].sum(), xt, retain_graph=j < d - 1)[0].mean(0)
                    for j in range(d)]
        return torch.stack(rows).detach()


def make_optimizer(model: nn.Module, lr: float = 1e-3) -> torch.optim.Optimizer:
    """Adam, fused (or multi-tensor): a Python loop over parameters dominates a small model's step on CPU."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=True)

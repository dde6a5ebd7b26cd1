"""Small not-MIWAE models and data with exact answers, for the median, the conditional and the
mechanism-map tests.

``bimodal_model``: z ~ N(0, 1) (latent 1), x_1 | z ~ N(h(z), 1), x_0 | z ~ N(1.5 h(z), 1) with
h(z) = tanh(3 tanh(4 z)) close to sign(z), so p(x_0 | x_1) is a two-component mixture; x_0 goes missing
with P = sigmoid(w (x_0 - b)) (self-masking, high values hide). The encoder is the prior, so importance
sampling is plain. ``exact_conditional`` integrates the model's own decoder on a grid: the median and
mean of p(x_0 | x_1, s_0 = 0) up to quadrature error (~1e-3)."""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats

from dgm_core.models.notmiwae import Config, NotMIWAE


def bimodal_model(w: float, b: float) -> NotMIWAE:
    torch.manual_seed(0)
    m = NotMIWAE(Config(n_features=2, latent=1, hidden=8, decoder="gaussian", missing="selfmasking"))
    with torch.no_grad():
        for layer in (m.encoder[-1], m.decoder[0], m.decoder[2], m.decoder[-1]):
            layer.weight.zero_()
            layer.bias.zero_()
        m.decoder[0].weight[0, 0] = 4.0
        m.decoder[2].weight[0, 0] = 3.0
        last = m.decoder[-1]
        last.weight[0, 0], last.weight[1, 0] = 1.5, 1.0
        last.bias[2:4] = math.log(math.expm1(1.0 - m.cfg.min_scale))  # both scales 1
        m.w_raw.copy_(torch.tensor([w, 0.0]))
        m.b.copy_(torch.tensor([b, 0.0]))
    return m.eval()


def exact_conditional(model: NotMIWAE, x1: float, w: float, b: float) -> tuple[float, float]:
    """(median, mean) of p(x_0 | x_1, x_0 missing) by quadrature over z and x_0."""
    zg = torch.linspace(-8, 8, 8001)[:, None]
    with torch.no_grad():
        par = model.decode(zg)
    loc, sc = par["loc"].double().numpy(), par["scale"].double().numpy()
    xg = np.linspace(-8, 8, 16001)
    wz = stats.norm.pdf(zg.numpy()[:, 0]) * stats.norm.pdf(x1, loc[:, 1], sc[:, 1])
    dens = (wz[:, None] * stats.norm.pdf(xg[None, :], loc[:, :1], sc[:, :1])).sum(0)
    dens *= stats.logistic.cdf(w * (xg - b))  # P(missing | x_0)
    cdf = np.cumsum(dens) / dens.sum()
    return float(np.interp(0.5, cdf, xg)), float((xg * dens).sum() / dens.sum())


def cross_feature_data(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (n, 4) independent N(0, 1); x_0 goes missing when x_2 is high, x_1 when x_3 is low, x_2 when x_2
    is high (self-masking); x_3 is always observed. Returns x, mask (True = observed) and the true map
    of logit weights M[j, k]."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    truth = np.zeros((4, 4))
    truth[0, 2], truth[1, 3], truth[2, 2] = 3.0, -3.0, 2.0
    logit = x @ truth.T - 1.0
    prob = np.where(truth.any(1), 1 / (1 + np.exp(-logit)), 0.0)
    return x, rng.random(x.shape) >= prob, truth

"""Every z-kernel leaves the exact conditional invariant (closed form: a linear-Gaussian DLVM), a kernel
with a wrong ratio does not, and the chain diagnostics agree with closed-form effective sample sizes."""
import numpy as np
import pytest
import torch

from dgm_core.device import generator
from dgm_core.models.vae import log_standard_normal
from dgm_core.samplers import gibbs_chain, run_gibbs
from dgm_core.samplers.diagnostics import chain_diagnostics, ess, split_rhat, verdict
from dgm_core.samplers.kernels import KERNELS, HMCKernel, PCNKernel, make_kernel

from .linear_gaussian import LinearGaussianDLVM

CHAINS, STEPS, BURN = 400, 300, 100


def _problem(model):
    g = torch.Generator().manual_seed(1)
    z = torch.randn(model.d, generator=g, dtype=torch.float64)
    x = model.W @ z + model.b + model.s * torch.randn(model.D, generator=g, dtype=torch.float64)
    return x, torch.tensor([True, False, True, False, True, False])


def _z_scores(kernel) -> np.ndarray:
    """Mean and covariance of the chains' x^m after burn-in against the exact conditional, as z-scores.

    The chains are independent, so each chain's time average of x^m (and of the centred products) is one
    i.i.d. draw: the spread of those over chains is the Monte-Carlo error, whatever the autocorrelation."""
    model = LinearGaussianDLVM(shrink=0.6, inflate=1.5)  # a poor encoder: pseudo-Gibbs is visibly biased
    x, observed = _problem(model)
    mean, cov = model.exact_conditional(x, observed)
    states = [s.x.view(CHAINS, -1)[:, ~observed] for s in
              gibbs_chain(model, x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1), n_steps=STEPS, chains=CHAINS,
                          generator=generator(0), kernel=kernel, adapt_steps=BURN)]
    xm = torch.stack(states[BURN:])  # (T', chains, m)
    d = xm - mean
    iu = torch.triu_indices(len(mean), len(mean))
    per_chain = torch.cat([d.mean(0), (d[..., :, None] * d[..., None, :]).mean(0)[:, iu[0], iu[1]]], 1)
    truth = torch.cat([torch.zeros_like(mean), cov[iu[0], iu[1]]])
    est, se = per_chain.mean(0), per_chain.std(0) / CHAINS**0.5
    return ((est - truth) / se).numpy()


@pytest.mark.parametrize("name", [k for k in KERNELS if k != "pseudo"])
def test_every_exact_kernel_samples_the_exact_conditional(name):
    z = _z_scores(name)
    assert np.abs(z).max() < 4.5, f"{name}: mean/covariance off by {np.abs(z).max():.1f} standard errors"


class PriorTwicePCN(PCNKernel):
    """pCN with a wrong ratio: the prior counted in the ratio although the proposal already preserves it."""

    def step(self, model, x, s, generator, adapt=False):
        z_new = ((1 - self.beta**2) ** 0.5 * s.z
                 + self.beta * torch.randn(s.z.shape, generator=generator, dtype=s.z.dtype))
        params_new = model.decode(z_new)
        lik_new = model.log_px(x, params_new)
        log_rho = lik_new - s.log_lik + log_standard_normal(z_new) - log_standard_normal(s.z)
        from dgm_core.samplers.kernels import _metropolis
        return _metropolis(s, z_new, params_new, lik_new, log_rho, generator)


def test_a_kernel_with_a_wrong_ratio_fails_the_same_check():
    assert np.abs(_z_scores(PriorTwicePCN())).max() > 8


def test_pseudo_gibbs_fails_the_same_check():
    assert np.abs(_z_scores("pseudo")).max() > 8


def test_hmc_adapts_its_step_size_during_burn_in_only():
    model = LinearGaussianDLVM()
    x, observed = _problem(model)
    kern = HMCKernel(step_size=0.01)
    sizes = [s.kernel.summary()["step_size"].clone() for s in
             gibbs_chain(model, x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1), n_steps=60, chains=8,
                         generator=generator(0), kernel=kern, adapt_steps=20)]
    assert not torch.equal(sizes[0], sizes[19])  # tuned in the window
    assert all(torch.equal(sizes[20], s) for s in sizes[20:])  # frozen after it
    assert (sizes[-1] > 0.05).all()  # grew from a step far too small for this posterior


def test_run_gibbs_names_the_kernel_and_reports_diagnostics():
    model = LinearGaussianDLVM(shrink=0.6, inflate=1.5)
    x, observed = _problem(model)
    res = run_gibbs(model, x.view(1, 1, 1, -1), observed.view(1, 1, 1, -1), n_steps=200, chains=8, burn_in=50,
                    kernel="hmc")
    d = res.diagnostics
    assert res.method == "mwg" and "HMC" in d.kernel_label and d.kernel == "hmc"
    assert d.acceptance_per_chain.shape == (1, 8) and 0.4 < d.acceptance.item() < 0.95
    assert d.rhat.item() < 1.1 and d.ess_log_joint.item() > 100
    assert d.pixel_trace.shape == (200, 1, 8, 32)
    assert d.verdict[0].startswith("these chains mixed")
    with pytest.raises(ValueError, match="Unknown z-kernel"):
        make_kernel("gibbs")


def _ar1(phi: np.ndarray, chains: int, t: int, seed: int = 0) -> np.ndarray:
    """AR(1) draws x_t = phi x_{t-1} + sqrt(1 - phi²) e_t, stationary N(0, 1) -> (len(phi), chains, t)."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(len(phi), chains, t))
    out = np.empty_like(e)
    out[..., 0] = e[..., 0]
    for i in range(1, t):
        out[..., i] = phi[:, None] * out[..., i - 1] + np.sqrt(1 - phi[:, None] ** 2) * e[..., i]
    return out


def test_ess_matches_the_closed_form_of_an_ar1_chain_per_image():
    # ESS of the mean of an AR(1) chain of length n is n (1 - phi) / (1 + phi); images differ in phi,
    # so a mix-up of the image, chain and draw axes shows
    phi = np.array([0.0, 0.5, 0.9])
    a = _ar1(phi, chains=8, t=4000)
    expected = 8 * 4000 * (1 - phi) / (1 + phi)
    assert ess(a) == pytest.approx(expected, rel=0.2)
    assert (split_rhat(a) < 1.02).all()


def test_diagnostics_see_stuck_and_disagreeing_chains():
    t, n, s = 200, 2, 4
    accepted = torch.zeros(t, n, s, dtype=torch.bool)
    accepted[::50] = True  # 4 moves per chain
    lj = torch.from_numpy(_ar1(np.array([0.5, 0.5]), s, t)).permute(2, 0, 1).clone()
    lj[:, 1] += torch.arange(s, dtype=lj.dtype) * 5  # image 1: the chains sit at different levels
    d = chain_diagnostics(lj, accepted, None, burn_in=0)
    assert d["accepted_moves"].tolist() == [4, 4]
    assert d["rhat"][1] > 2 and d["rhat"][0] < 1.1
    assert "did not mix" in d["verdict"][0] and "4 of 200" in d["verdict"][0]
    assert "did not mix: split-R̂" in verdict(200, 4, 0.5, 100, 400, float(d["rhat"][1]))
    assert verdict(200, 4, 0.5, 100, 400, 1.01).startswith("these chains mixed")
    assert "approximation" in verdict(200, 4, 1.0, 200, 400, 1.01, exact=False)

"""The critics on the parallel lines: the shipped sweep against the truth, the estimators in closed form,
a short live training that must tell theta = 1 from theta = 0, and the page's demo module."""
import json
from pathlib import Path

import pytest
import torch

from dgm_core import results
from dgm_core.demos import critics as demo
from dgm_core.models.critics import KINDS, CriticConfig, estimate, objective, sample_lines, true_value
from dgm_core.models.wgan import gradient_penalty

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "benchmarks" / "results" / "critics.json"


def _lines(theta: float, n: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    return sample_lines(theta, n, torch.Generator().manual_seed(0))


# --- (a) the shipped sweep ---------------------------------------------------------------------------


def check_sweep(rec: dict) -> None:
    thetas = rec["thetas"]
    assert len(thetas) == 21 and thetas[0] == 0 and thetas[-1] == 2
    for kind in KINDS:
        est = dict(zip(thetas, rec["estimates"][kind]))
        assert abs(est[0.0] - true_value(kind, 0.0)) <= 0.1, (kind, est[0.0])
        for th in (1.0, 2.0):
            truth = true_value(kind, th)
            assert abs(est[th] - truth) <= 0.1 * truth, (kind, th, est[th])
        assert rec["true_values"][kind] == [true_value(kind, t) for t in thetas]


def test_the_shipped_sweep_is_close_to_the_truth_at_0_1_and_2():
    check_sweep(json.loads(SHIPPED.read_text()))


@pytest.mark.parametrize("kind, theta, wrong", [("hellinger", 0.0, 0.15), ("hellinger", 1.0, 1.75),
                                               ("hellinger", 2.0, 1.75), ("wasserstein", 0.0, -0.15),
                                               ("wasserstein", 1.0, 0.85), ("wasserstein", 2.0, 2.25)])
def test_the_sweep_check_fails_on_a_corrupted_value(kind, theta, wrong):
    rec = json.loads(SHIPPED.read_text())
    rec["estimates"][kind][rec["thetas"].index(theta)] = wrong
    with pytest.raises(AssertionError):
        check_sweep(rec)


# --- (b) the estimators in closed form ---------------------------------------------------------------


def test_true_values():
    assert true_value("hellinger", 0.0) == 0 and true_value("wasserstein", 0.0) == 0
    for th in (0.1, 1.0, 2.0, -0.5):
        assert true_value("hellinger", th) == 2.0
        assert true_value("wasserstein", th) == pytest.approx(abs(th))


def test_hellinger_objective_at_the_optimal_critics():
    p, q = _lines(1.0)
    big = torch.full((p.shape[0],), 40.0)
    # disjoint supports: T -> +inf on P and -inf on Q attains the supremum, 2
    assert objective("hellinger", big, -big).item() == pytest.approx(2.0, abs=1e-12)
    zero = torch.zeros(p.shape[0])
    assert objective("hellinger", zero, zero).item() == 0.0  # P = Q: T = 0 is optimal, and the value is 0
    # any critic gives a lower bound: each term is below 1
    t = torch.randn(2, p.shape[0], generator=torch.Generator().manual_seed(1)) * 5
    assert objective("hellinger", t[0], t[1]).item() < 2.0


@pytest.mark.parametrize("theta", [0.0, 0.5, 1.0, 2.0])
def test_the_wasserstein_critic_minus_x1_gives_theta_and_no_penalty(theta):
    p, q = _lines(theta)
    critic = lambda x: -x[:, 0]  # noqa: E731 - 1-Lipschitz, optimal on the parallel lines
    assert objective("wasserstein", critic(p), critic(q)).item() == pytest.approx(theta, abs=1e-6)
    if theta > 0:
        penalty = gradient_penalty(critic, p, q, one_sided=True, generator=torch.Generator().manual_seed(0))[0]
        assert penalty.item() == pytest.approx(0.0, abs=1e-10)  # its gradient norm is 1 everywhere


# --- (c) a short live training -----------------------------------------------------------------------


def test_a_short_wasserstein_training_tells_theta_1_from_theta_0():
    torch.set_num_threads(1)
    cfg = CriticConfig(steps=200, eval_n=2000)
    at0, at1 = estimate("wasserstein", 0.0, cfg), estimate("wasserstein", 1.0, cfg)
    assert abs(at0) < 0.1 and at1 > 0.7 and at1 - at0 > 0.6, (at0, at1)


# --- the page's demo module --------------------------------------------------------------------------


def test_load_sweep_reads_the_shipped_file_and_writes_a_csv():
    sw = results.critics()
    assert sw.thetas == json.loads(SHIPPED.read_text())["thetas"]
    assert set(sw.live_seconds) == set(KINDS) and all(v > 0 for v in sw.live_seconds.values())
    rows = sw.csv().strip().split("\n")
    assert len(rows) == 1 + len(sw.thetas) and rows[0].startswith("theta,hellinger_estimate")
    assert sw.at("wasserstein", 1.04) == sw.estimates["wasserstein"][sw.thetas.index(1.0)]


def test_a_missing_or_malformed_sweep_is_one_sentence(tmp_path):
    with pytest.raises(results.ResultsError, match="missing"):
        results.critics(tmp_path)
    rec = json.loads(SHIPPED.read_text())
    (tmp_path / results.RESULTS).mkdir(parents=True)
    for bad in ("not json", json.dumps({"thetas": [0, 1]}),
                json.dumps({**rec, "estimates": {**rec["estimates"], "hellinger": [1.0]}}),
                json.dumps({**rec, "thetas": ["x"] * 21})):
        (tmp_path / results.source("critics")).write_text(bad)
        with pytest.raises(results.ResultsError, match="malformed") as err:
            results.critics(tmp_path)
        assert "\n" not in str(err.value)


def test_live_retrain_yields_every_step_then_a_final_per_kind():
    torch.set_num_threads(1)
    cfg = CriticConfig(steps=5, eval_n=200)
    out = list(demo.live_retrain(1.0, cfg))
    assert [o.kind for o in out] == ["hellinger"] * 6 + ["wasserstein"] * 6
    assert [o.step for o in out[:6]] == [1, 2, 3, 4, 5, 5] and [o.final for o in out[:6]] == [False] * 5 + [True]
    p, q = demo.samples(0.7, 200)
    assert p.shape == q.shape == (200, 2) and (p[:, 0] == 0).all() and (q[:, 0] == pytest.approx(0.7))


def test_a_retrain_neither_reads_nor_moves_the_process_wide_generator():
    """Issue 39: the critic's initialisation and its data come from generators of its own, seeded by ``seed``."""
    torch.set_num_threads(1)
    cfg = CriticConfig(steps=3, eval_n=100, hidden=16)
    before = torch.get_rng_state()
    first = [estimate(k, 1.0, cfg, seed=2) for k in KINDS]
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(999)
    assert [estimate(k, 1.0, cfg, seed=2) for k in KINDS] == first

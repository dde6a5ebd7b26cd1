"""dgm_core.training: every shipped card is what its recipe rebuilds (config, command, data, length),
every recipe trains in a dry run and loads back, ``evaluate`` rewrites only the measured metrics,
and the CLI never imports the top-level ``benchmarks`` package.

The dry runs use a tiny synthetic data folder in the layouts dgm_core.data reads (MNIST idx files,
omniglot28.npz, celeba64_subset.npz), so they run with or without DGM_DATA_DIR.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from dgm_core import pretrained, training
from dgm_core.__main__ import ROOT, benchmarks, main
from dgm_core.training import RECIPES, dmfa as dmfa_recipes

N_TRAIN, N_TEST = 96, 32  # enough for every dry run (DMFA takes the first 80 train images)
CARDS = pretrained.list_cards()
# the candidates to replace a shipped generator: long runs whose dry runs must pass as the shipped recipes' do
CANDIDATES = [*training.wgan.CANDIDATES, *training.flow.CANDIDATES, *training.vae.CANDIDATES]


def _idx(path: Path, a: np.ndarray) -> None:
    """An IDX file as torchvision's MNIST reads it: magic (0, 0, 0x08 = ubyte, ndim), big-endian dims."""
    path.write_bytes(bytes([0, 0, 8, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.astype(np.uint8).tobytes())


def write_synthetic_data(root: Path) -> Path:
    """Random images in the on-disk layouts of MNIST, Omniglot 28x28 and the CelebA subset."""
    rng = np.random.default_rng(0)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        _idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _idx(raw / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n))
    (root / "omniglot").mkdir()
    np.savez(root / "omniglot" / "omniglot28.npz",
             x_background=rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
             y_background=rng.integers(0, 30, N_TRAIN).astype(np.int16),
             x_evaluation=rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
             y_evaluation=rng.integers(0, 20, N_TEST).astype(np.int16))
    (root / "celeba").mkdir()
    np.savez(root / "celeba" / "celeba64_subset.npz",
             x_train=rng.integers(0, 256, (N_TRAIN, 64, 64, 3), dtype=np.uint8),
             identity_train=rng.integers(0, 50, N_TRAIN).astype(np.int32),
             x_test=rng.integers(0, 256, (N_TEST, 64, 64, 3), dtype=np.uint8),
             identity_test=rng.integers(0, 50, N_TEST).astype(np.int32))
    return root


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """Recipes call set_threads(); on a shared box one thread each is faster than oversubscribed cores."""
    monkeypatch.setenv("DGM_THREADS", "1")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return write_synthetic_data(tmp_path_factory.mktemp("data"))


# ---------------------------------------------------------------- shipped cards <-> recipes

def mismatches(card: pretrained.ModelCard, r: training.Recipe) -> list[str]:
    """Every way the recipe would not rebuild this card (empty: `python -m dgm_core train NAME` does)."""
    expected = training.full_config(r)
    if r.family == "mfa":  # the diagonal floor is chosen after EM, on validation, from FLOOR_GRID
        expected["d_floor"] = card.config["d_floor"] if card.config["d_floor"] in dmfa_recipes.FLOOR_GRID else None
    out = []
    if card.config != expected:
        out.append(f"config {card.config} != recipe {expected}")
    if (card.family, card.seed) != (r.family, r.seed):
        out.append(f"family/seed {(card.family, card.seed)} != recipe {(r.family, r.seed)}")
    if card.command != f"python -m dgm_core train {card.name}":
        out.append(f"command {card.command!r} is not the plain rebuild command")
    if card.data != r.describe():
        out.append(f"data {card.data!r} != recipe {r.describe()!r}")
    if card.metrics.get(r.length_key) != r.length:
        out.append(f"{r.length_key} {card.metrics.get(r.length_key)} != recipe {r.length}")
    return out


def test_every_card_has_a_recipe_and_every_recipe_a_card():
    assert len(CARDS) == 23
    assert sorted(c.name for c in CARDS) == sorted(RECIPES)


def _retraining(card: pretrained.ModelCard):
    """A model whose longer run is under way (its checkpoint is in pretrained/checkpoints/) still ships
    the card of its previous recipe until the run finishes; the test says so rather than passing."""
    if training.checkpoint_path(card.name).exists():
        return pytest.param(card, marks=pytest.mark.xfail(strict=True, reason="retraining under way"))
    return card


@pytest.mark.parametrize("card", [_retraining(c) for c in CARDS], ids=lambda c: c.name)
def test_the_recipe_rebuilds_the_shipped_card(card):
    assert mismatches(card, RECIPES[card.name]) == []


def test_the_check_fails_when_a_recipe_changes():
    card = next(c for c in CARDS if c.name == "dmfa-mnist")
    r = RECIPES["dmfa-mnist"]
    assert mismatches(card, r) == []
    assert any("epochs" in m for m in mismatches(card, r.with_epochs(12)))
    assert any("config" in m for m in mismatches(card, dataclasses.replace(r, config={**r.config, "width": 8})))
    assert any("data" in m for m in mismatches(card, dataclasses.replace(r, n_train=1000)))
    mfa_card = next(c for c in CARDS if c.name == "mfa-celeba")
    assert mismatches(mfa_card, RECIPES["mfa-celeba"]) == []
    assert mismatches(mfa_card, RECIPES["mfa-celeba"].with_epochs(13)) != []


# ---------------------------------------------------------------- dry runs and evaluate

def _runs(model: torch.nn.Module, family: str) -> bool:
    """One forward pass of a loaded model on a random image (or table row) and mask: a finite score each."""
    g = torch.Generator().manual_seed(0)
    if family == "notmiwae-tabular":
        x = torch.randn(2, model.cfg.n_features, generator=g)
        with torch.no_grad():
            return bool(torch.isfinite(model.bound(x, torch.rand(2, x.shape[1], generator=g) > 0.3, 2, g)).all())
    if family == "vae-gmm":
        vae, d = model.vaes[-1], model.cfg.latent
        with torch.no_grad():
            rec, kl = vae.terms(torch.rand(2, 784, generator=g), torch.zeros(2, d), torch.ones(2, d), g)
        return bool(torch.isfinite(rec - kl).all())
    if family == "digits":
        with torch.no_grad():
            return bool(torch.isfinite(model(torch.rand(2, 1, 28, 28, generator=g))).all())
    c, h, w = model.cfg.shape
    x = torch.rand(2, c, h, w, generator=g)
    mask = torch.rand(2, 1, h, w, generator=g) > 0.3
    with torch.no_grad():
        if family in ("dmfa", "mfa"):
            score = model.nll(x, mask)
        elif family == "notmiwae-conv":
            score = model.bound(x, mask, 2, g)
        elif family == "wgan":
            score = model.score(model.generate(torch.randn(2, model.latent, generator=g)))
        elif family == "flow":
            score = model.sample(2, n_steps=2, method="euler", generator=g)
        else:
            score = model.elbo(x, generator=g)
    return bool(torch.isfinite(score).all())


@pytest.mark.parametrize("name", [*RECIPES, *CANDIDATES])
def test_dry_run_trains_saves_and_loads_back(name, data_dir, tmp_path):
    card = training.train(name, dry_run=True, out_dir=tmp_path, data_dir=data_dir)
    model, loaded = pretrained.load(name, tmp_path)
    r = training.recipe(name)
    assert loaded == card and card.family == r.family and card.command == f"python -m dgm_core train {name}"
    assert "dry run" in card.data or r.family in ("dmfa", "mfa")
    assert all(math.isfinite(v) for v in card.metrics.values() if isinstance(v, float))
    assert _runs(model, r.family)
    # what `evaluate` does, with the dry recipe: the reloaded weights give the card's test metrics
    measured = r.dry().measure(model, data_dir)
    assert measured == {k: card.metrics[k] for k in measured}


def test_evaluate_rewrites_only_the_metrics_and_the_evaluate_command(data_dir, tmp_path):
    before = training.train("miwae-mnist", dry_run=True, out_dir=tmp_path, data_dir=data_dir)
    weights = (tmp_path / before.weights).read_bytes()
    after = training.evaluate("miwae-mnist", directory=tmp_path, data_dir=data_dir)
    assert (tmp_path / before.weights).read_bytes() == weights
    assert pretrained.load_card("miwae-mnist", tmp_path) == after
    assert after.evaluate_command == "python -m dgm_core evaluate miwae-mnist"
    assert dataclasses.replace(after, metrics=before.metrics, evaluate_command="") == before
    # the full recipe's estimator: every test image, K = 200; training-only metrics kept
    assert after.metrics["test_images"] == N_TEST and after.metrics["eval_k"] == 200
    assert list(after.metrics) == list(before.metrics)
    for key in ("train_loss_last_epoch", "epochs"):
        assert after.metrics[key] == before.metrics[key]
    assert training.evaluate("miwae-mnist", directory=tmp_path, data_dir=data_dir) == after  # same seeds


@pytest.mark.skipif(not os.environ.get("DGM_DATA_DIR"), reason="DGM_DATA_DIR is not set: no CelebA train split")
def test_evaluate_repeats_the_shipped_training_metrics(tmp_path):
    """dmfa-celeba (the quickest to measure, ~10 s): the shipped weights give the card's own numbers."""
    shipped = pretrained.load_card("dmfa-celeba")
    for suffix in (".json", ".safetensors"):
        shutil.copy(pretrained.PRETRAINED_DIR / f"dmfa-celeba{suffix}", tmp_path)
    assert training.evaluate("dmfa-celeba", directory=tmp_path).metrics == shipped.metrics


# ---------------------------------------------------------------- checkpoints and --resume

def _state(directory: Path, name: str) -> dict[str, torch.Tensor]:
    return pretrained.load(name, directory)[0].state_dict()


def test_a_run_stopped_and_resumed_ends_with_the_weights_of_a_straight_run(data_dir, tmp_path):
    """wgan-mnist's dry run (3 generator iterations, 5 critic steps each): straight, and stopped after 1 then
    resumed, give the same bytes; the checkpoint is small, refused without --resume, and gone at the end."""
    straight = training.train("wgan-mnist", dry_run=True, out_dir=tmp_path / "a", data_dir=data_dir)
    out = tmp_path / "b"
    assert training.train("wgan-mnist", dry_run=True, out_dir=out, data_dir=data_dir, stop_at=1) is None
    ckpt = training.checkpoint_path("wgan-mnist", out)
    assert ckpt.is_file() and ckpt.stat().st_size < 20 * 2**20 and not (out / "wgan-mnist.json").exists()
    with pytest.raises(training.CheckpointError, match="--resume"):
        training.train("wgan-mnist", dry_run=True, out_dir=out, data_dir=data_dir)
    resumed = training.train("wgan-mnist", dry_run=True, out_dir=out, data_dir=data_dir, resume=True)
    assert not ckpt.parent.exists()
    a, b = _state(tmp_path / "a", "wgan-mnist"), _state(out, "wgan-mnist")
    assert [k for k in a if not torch.equal(a[k], b[k])] == []
    assert resumed.sha256 == straight.sha256 and resumed.metrics == straight.metrics
    assert "Trained in 2 session(s)" in resumed.notes and "steps 0-1" in resumed.notes
    assert "Trained in 1 session(s)" in straight.notes


def test_a_checkpoint_measured_mid_run_is_the_model_a_run_ending_there_ships(data_dir, tmp_path):
    """bench wgan_progress's model from a checkpoint at step 2 equals, tensor for tensor, what a run of 2 steps
    ships (averaged generator, recalibrated BatchNorm); constant learning rates, so the two runs take the same steps."""
    from benchmarks.common import checkpoint_model

    cpu = torch.device("cpu")
    r3 = dataclasses.replace(RECIPES["wgan-mnist"].dry(), schedule="constant")
    path = tmp_path / "c.pt"
    assert r3.fit(cpu, data_dir, checkpoint=training.loop.Checkpoint(path, r3.key(), cpu), stop_at=2) is None
    model, at = checkpoint_model(r3, path)
    assert (at["steps"], at["of"]) == (2, 3)
    two = dataclasses.replace(r3, iterations=2).fit(cpu, data_dir).model.state_dict()
    mid = model.state_dict()
    assert [k for k in two if not torch.equal(two[k], mid[k])] == []
    with pytest.raises(SystemExit, match="another recipe"):
        checkpoint_model(dataclasses.replace(r3, ema=0.99), path)


def test_resume_through_the_cli(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DGM_DATA_DIR", str(data_dir))
    out = str(tmp_path)
    assert main(["train", "wgan-celeba", "--dry-run", "--out", out, "--stop-at", "2", "--threads", "1"]) == 0
    assert "continue with: python -m dgm_core train wgan-celeba --resume" in capsys.readouterr().out
    assert main(["train", "wgan-celeba", "--dry-run", "--out", out, "--resume", "--threads", "1"]) == 0
    card = pretrained.load_card("wgan-celeba", tmp_path)
    assert card.metrics["generator_iterations"] == 3 and "steps 2-3" in card.notes
    assert main(["train", "wgan-celeba", "--dry-run", "--out", out, "--resume"]) == 2  # nothing left to resume
    assert capsys.readouterr().err.startswith("No checkpoint at")


def test_a_checkpoint_of_another_recipe_or_device_is_refused_and_one_shot_recipes_have_none(tmp_path):
    r, cpu = RECIPES["wgan-mnist"].dry(), torch.device("cpu")
    training.loop.Checkpoint(tmp_path / "c.pt", r.key(), cpu).save({"steps": 1}, 1)
    other = dataclasses.replace(r, ema=0.99).key()
    with pytest.raises(training.CheckpointError, match="another recipe"):
        training.loop.Checkpoint(tmp_path / "c.pt", other, cpu).load()
    with pytest.raises(training.CheckpointError, match="written on cpu"):  # refused before touching the device
        training.loop.Checkpoint(tmp_path / "c.pt", r.key(), torch.device("cuda")).load()
    assert training.loop.Checkpoint(tmp_path / "c.pt", r.key(), cpu).load() == {"steps": 1}
    with pytest.raises(training.CheckpointError, match="one run"):
        training.train("vae-mnist", resume=True)


def test_ema_update_averages_parameters_and_copies_batchnorm_statistics():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ema = copy.deepcopy(model)
    before = [p.detach().clone() for p in ema.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    model(torch.randn(8, 3))  # moves the running statistics
    training.loop.ema_update(ema, model, 0.9)
    for old, new, avg in zip(before, model.parameters(), ema.parameters()):
        torch.testing.assert_close(avg, 0.9 * old + 0.1 * new)
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        assert torch.equal(b_ema, b)
    assert [training.loop.linear_lr(1.0, s, 4) for s in (0, 1, 4, 5)] == [1.0, 0.75, 0.0, 0.0]


def test_an_old_card_without_evaluate_command_still_loads(tmp_path):
    card = CARDS[0]
    text = card.to_json().replace('  "evaluate_command": "",\n', "")
    assert "evaluate_command" not in text
    (tmp_path / f"{card.name}.json").write_text(text)
    assert pretrained.load_card(card.name, tmp_path).evaluate_command == ""


# ---------------------------------------------------------------- the CLI

def test_the_cli_never_imports_benchmarks():
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "dgm_core", "list"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert "vae-mnist" in res.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in res.stderr.splitlines() if line.startswith("import time:")]
    assert "dgm_core.pretrained" in imported
    assert not [m for m in imported if re.match(r"benchmarks(\.|$)", m)]


def test_bench_runs_a_benchmark_module_in_a_child_process_and_refuses_unknown_names(monkeypatch, capsys):
    assert "dmfa" in benchmarks() and "__init__" not in benchmarks()
    assert "machine" not in benchmarks()  # a helper module, not a script
    assert all((ROOT / "benchmarks" / f"{n}.py").is_file() for n in benchmarks())
    assert main(["bench", "no_such_bench"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("unknown benchmark 'no_such_bench'; available: ") and err.count("\n") == 1
    assert err.split("available: ")[1].strip().split(", ") == sorted(benchmarks())
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, cwd: calls.append((cmd, cwd)) or
                        subprocess.CompletedProcess(cmd, 3))
    assert main(["bench", "sampler-speed", "--repeats", "1"]) == 3  # the child's exit code
    assert calls == [([sys.executable, "-m", "benchmarks.sampler_speed", "--repeats", "1"], ROOT)]


def test_unknown_model_is_one_line(capsys):
    assert main(["train", "no-such-model", "--dry-run"]) == 2
    assert main(["evaluate", "no-such-model"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith("unknown model 'no-such-model'; known: vae-mnist")


def test_a_missing_card_is_one_sentence_not_a_traceback(tmp_path, capsys):
    assert main(["evaluate", "vae-mnist", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("No model card for 'vae-mnist'") and "\n" not in err


def test_mirroring_flips_the_chosen_faces_left_right_only():
    from dgm_core.training.vae import mirrored
    x = torch.arange(2 * 3 * 2 * 4, dtype=torch.float32).view(2, 3, 2, 4)
    out = mirrored(x, torch.tensor([True, False]))
    assert torch.equal(out[1], x[1])
    assert torch.equal(out[0, :, :, 0], x[0, :, :, 3]) and torch.equal(out[0, :, 1, :], x[0, :, 1].flip(-1))
    assert torch.equal(mirrored(out, torch.tensor([True, False])), x)
    assert RECIPES["vae-celeba"].flip and "mirrored" in RECIPES["vae-celeba"].describe()
    assert "mirrored" in pretrained.load_card("vae-celeba").data


def test_a_flow_checkpoint_measured_mid_run_is_its_moving_average(data_dir, tmp_path):
    """bench flow_progress's network from a checkpoint is the checkpoint's moving average of the weights (what the
    finished run ships, ``as_shipped``), not the raw weights it trains; and it samples digits."""
    from benchmarks.common import checkpoint_model

    cpu, r = torch.device("cpu"), training.recipe("flow-mnist-w32").dry()
    path = tmp_path / "c.pt"
    assert r.fit(cpu, data_dir, checkpoint=training.loop.Checkpoint(path, r.key(), cpu), stop_at=2) is None
    model, at = checkpoint_model(r, path)
    assert (at["steps"], at["of"]) == (2, 3)
    saved = torch.load(path, map_location="cpu", weights_only=True)["state"]
    got = model.state_dict()
    assert all(torch.equal(got[k], saved["ema"][k]) for k in got)
    assert any(not torch.equal(got[k], saved["model"][k]) for k in got)
    x = model.sample(2, n_steps=2, generator=torch.Generator().manual_seed(0))
    assert x.shape == (2, 1, 28, 28)


def test_a_warm_started_flow_starts_from_the_named_weights_and_refuses_others(data_dir, tmp_path):
    """flow-mnist starts from the weights its digest pins, flow-mnist-more's (network and moving average both, so
    a run stopped after one step checkpoints them all but unchanged); a digest of other weights is refused."""
    cpu, r = torch.device("cpu"), training.recipe("flow-mnist").dry()
    shipped = load_file(str(pretrained.PRETRAINED_DIR / f"{r.init_from[0]}.safetensors"))
    path = tmp_path / "c.pt"
    assert r.fit(cpu, data_dir, checkpoint=training.loop.Checkpoint(path, r.key(), cpu), stop_at=1) is None
    saved = torch.load(path, map_location="cpu", weights_only=True)["state"]
    # one step of Adam at lr 1e-4 moves the network a little; the average (decay 0.999) a thousandth of that
    assert all(torch.allclose(saved["ema"][k], shipped[k], atol=1e-6) for k in shipped)
    assert all(torch.allclose(saved["model"][k], shipped[k], atol=2e-4) for k in shipped)
    other = dataclasses.replace(r, init_from=(r.init_from[0], "0" * 64))
    with pytest.raises(pretrained.PretrainedError, match=r"weights of flow-mnist-more with sha256 000000000000…"):
        other.fit(cpu, data_dir)


def test_a_progress_file_keeps_one_row_a_step_of_one_recipe():
    from benchmarks.common import progress_rows

    old = {"config": {"width": 32}, "rows": [{"steps": 20, "x": 1}, {"steps": 10, "x": 2}]}
    assert progress_rows(old, {"width": 32}, {"steps": 15, "x": 3}) == [
        {"steps": 10, "x": 2}, {"steps": 15, "x": 3}, {"steps": 20, "x": 1}]
    assert progress_rows(old, {"width": 32}, {"steps": 20, "x": 4}) == [{"steps": 10, "x": 2}, {"steps": 20, "x": 4}]
    assert progress_rows(old, {"width": 16}, {"steps": 5, "x": 5}) == [{"steps": 5, "x": 5}]  # another recipe's run
    assert progress_rows({}, {"width": 16}, {"steps": 5, "x": 5}) == [{"steps": 5, "x": 5}]

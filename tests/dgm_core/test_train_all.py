"""``python -m dgm_core train-all`` (dgm_core.training.train_all) runs on the CPU: every GPU recipe's dry run into one
folder, cards recording device and time; a run out of its budget stops checkpointed and ``--resume`` finishes it.
Synthetic MNIST files, so no DGM_DATA_DIR is needed."""
from __future__ import annotations

import json

import pytest
import torch

from dgm_core import pretrained, training
from dgm_core.__main__ import main
from dgm_core.training import train_all as ta
from tests.dgm_core.test_training import write_synthetic_data

pytestmark = pytest.mark.slow  # trains tiny models; not yet in tests/slow_tests.json


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_THREADS", "1")
    path = write_synthetic_data(tmp_path / "data")
    monkeypatch.setenv("DGM_DATA_DIR", str(path))
    return path


def test_every_gpu_recipe_is_a_resumable_unshipped_candidate():
    for name in ta.SHARES:
        r = training.recipe(name)
        assert name in training.UNSHIPPED and getattr(r, "resumable", False)
    assert sum(ta.SHARES.values()) <= 1.0


def test_train_all_writes_each_card_with_device_and_time(data_dir, tmp_path, capsys):
    threads = torch.get_num_threads()
    try:
        out = tmp_path / "out"
        assert main(["train-all", "--out", str(out), "--dry-run", "--device", "cpu"]) == 0
    finally:
        torch.set_num_threads(threads)
    summary = json.loads((out / "train_all.json").read_text())
    assert summary["device"] == "cpu" and [r["name"] for r in summary["runs"]] == list(ta.SHARES)
    for run in summary["runs"]:
        assert run["finished"]
        card = pretrained.load_card(run["name"], out)
        assert card.training_time_s > 0 and "Trained in 1 session(s): cpu" in card.notes
        assert card.command == f"python -m dgm_core train {run['name']}"
        pretrained.load(run["name"], out)  # weights match the card's sha256
    wgan = summary["runs"][1]
    assert set(wgan["digit_scores"]) >= {"confident_share", "frechet_distance"}
    assert not (out / "checkpoints").exists()


def test_a_run_out_of_budget_stops_checkpointed_and_resumes(data_dir, tmp_path):
    threads = torch.get_num_threads()
    try:
        out = tmp_path / "out"
        stopped = ta.train_all(out, budget_s=0.0, dry_run=True, names=["flow-mnist-w32"])
        run = stopped["runs"][0]
        assert not run["finished"] and run["steps_done"] == 1 and "--resume" in run["resume"]
        assert training.checkpoint_path("flow-mnist-w32", out).exists()
        assert not (out / "flow-mnist-w32.json").exists()
        done = ta.train_all(out, budget_s=600.0, dry_run=True, resume=True, names=["flow-mnist-w32"])
    finally:
        torch.set_num_threads(threads)
    assert done["runs"][0]["finished"]
    card = pretrained.load_card("flow-mnist-w32", out)
    assert "Trained in 2 session(s)" in card.notes and "steps 1-3" in card.notes

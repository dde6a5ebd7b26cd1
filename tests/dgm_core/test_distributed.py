"""Data-parallel training under torchrun: two CPU processes on the gloo backend run the vae-mnist
recipe's dry run (on the synthetic MNIST folder of test_training, so it needs no data set), write one
card from rank 0 only, and end with identical parameters on both ranks after training on different
shares of each batch. A plain run is untouched: the helpers are no-ops outside torchrun."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dgm_core.training import distributed

from .test_training import write_synthetic_data

ROOT = Path(__file__).resolve().parents[2]
# what each rank runs: the recipe's own fit, then its parameters and the first batch share it trained on
RANK_SCRIPT = """
import sys, torch
from dgm_core.training import RECIPES, distributed
r = RECIPES["vae-mnist"].dry()
fitted = r.fit(r.prepare(), sys.argv[1])
torch.save({"params": fitted.model.state_dict(), "share": distributed.shard(torch.arange(8)),
            "notes": fitted.notes}, f"{sys.argv[2]}/rank{distributed.rank()}.pt")
"""


def torchrun(args: list[str], data_dir: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Two processes on this machine, one thread each, reading the synthetic data folder."""
    env = {**os.environ, "DGM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
           "DGM_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return write_synthetic_data(tmp_path_factory.mktemp("data"))


@pytest.mark.slow
def test_two_gloo_processes_train_identical_replicas_on_different_shares(data_dir, tmp_path):
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    done = torchrun([str(script), str(data_dir), str(tmp_path)], data_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = (torch.load(tmp_path / f"rank{i}.pt", weights_only=True) for i in (0, 1))
    assert a["share"].tolist() == [0, 2, 4, 6] and b["share"].tolist() == [1, 3, 5, 7]
    assert a["params"].keys() == b["params"].keys()
    for k in a["params"]:
        assert torch.equal(a["params"][k], b["params"][k]), k
    assert "Data-parallel over 2 processes" in a["notes"]
    # training moved the weights (the replicas are equal because gradients were averaged, not because
    # nothing happened): compare with the initialisation the recipe's seed gives
    from dgm_core import pretrained
    from dgm_core.training import RECIPES
    torch.manual_seed(RECIPES["vae-mnist"].seed)
    init = pretrained.build("vae", RECIPES["vae-mnist"].config).state_dict()
    assert any(not torch.equal(init[k], a["params"][k]) for k in init)


@pytest.mark.slow
def test_the_cli_dry_run_under_torchrun_writes_one_card(data_dir, tmp_path):
    out = tmp_path / "out"
    done = torchrun(["-m", "dgm_core", "train", "vae-mnist", "--dry-run", "--out", str(out)], data_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["vae-mnist.json", "vae-mnist.safetensors"]
    card = json.loads((out / "vae-mnist.json").read_text())
    assert "Data-parallel over 2 processes" in card["notes"] and "dry run" in card["data"]
    assert done.stdout.count("saved vae-mnist") == 2  # both ranks finished, rank 1 read rank 0's card


def test_without_torchrun_the_helpers_do_nothing(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    idx = torch.arange(10)
    assert not distributed.active() and distributed.is_main()
    assert torch.equal(distributed.shard(idx), idx)
    model = torch.nn.Linear(2, 2)
    assert distributed.in_sync(model)
    distributed.init()  # no process group outside torchrun
    assert not torch.distributed.is_initialized()


def test_under_torchrun_without_out_the_cli_says_so_in_one_sentence(monkeypatch, capsys):
    from dgm_core.__main__ import main

    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["train", "vae-mnist"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--out" in err

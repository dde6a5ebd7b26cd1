"""Registry: save/load round trip, sha256 verification, missing and corrupted files, shipped cards."""
import dataclasses
import json

import pytest
import torch

from dgm_core import pretrained
from dgm_core.models.vae import VAE, Config


def _tiny(seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(Config(shape=(1, 8, 8), latent=3, hidden=16))


SAVE_ARGS = dict(family="vae", data="unit test split", seed=7, training_time_s=1.23,
                 metrics={"test_log_lik": -1.0, "per_k": [1, 2]}, command="python -m dgm_core train tiny --epochs 1",
                 notes="a card written by a test")


def _save(model, tmp_path, name="tiny"):
    return pretrained.save(model, name=name, directory=tmp_path, **SAVE_ARGS)


def test_saved_card_holds_what_was_passed_and_the_weights_real_sha256(tmp_path):
    model = _tiny()
    returned = _save(model, tmp_path)
    raw = json.loads((tmp_path / "tiny.json").read_text())
    assert set(raw) == {f.name for f in dataclasses.fields(pretrained.ModelCard)}  # no field lost on disk
    card = pretrained.load_card("tiny", tmp_path)
    for c in (returned, card):  # what save returned and what it wrote, each against the truth
        assert c.name == "tiny" and c.weights == "tiny.safetensors"
        assert c.family == SAVE_ARGS["family"] and c.data == SAVE_ARGS["data"] and c.seed == SAVE_ARGS["seed"]
        assert c.training_time_s == pytest.approx(1.2)  # rounded to 0.1 s
        assert c.metrics == SAVE_ARGS["metrics"]
        assert c.command == SAVE_ARGS["command"] and c.notes == SAVE_ARGS["notes"]
        assert VAE.Config(**c.config) == model.cfg
        assert c.sha256 == pretrained.sha256_file(tmp_path / "tiny.safetensors")
        assert c.torch_version == torch.__version__ and c.created


def test_round_trip_restores_exact_weights(tmp_path):
    model = _tiny()
    _save(model, tmp_path)
    loaded, _ = pretrained.load("tiny", tmp_path)
    for (k, v), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    assert not loaded.training
    assert loaded.cfg == model.cfg
    x = torch.rand(2, 1, 8, 8)
    assert torch.equal(model.eval().encode(x)[0], loaded.encode(x)[0])


def test_tampered_weights_fail_the_sha256_check(tmp_path):
    _save(_tiny(), tmp_path)
    other = tmp_path / "other"
    _save(_tiny(seed=1), other, name="tiny")
    (tmp_path / "tiny.safetensors").write_bytes((other / "tiny.safetensors").read_bytes())
    with pytest.raises(pretrained.ChecksumError, match="corrupted"):
        pretrained.load("tiny", tmp_path)


def test_missing_weights_and_missing_card_are_clear(tmp_path):
    _save(_tiny(), tmp_path)
    (tmp_path / "tiny.safetensors").unlink()
    with pytest.raises(pretrained.WeightsMissingError, match="python -m dgm_core train tiny"):
        pretrained.load("tiny", tmp_path)
    with pytest.raises(pretrained.WeightsMissingError, match="No model card"):
        pretrained.load("nothing", tmp_path)


def test_config_mismatch_and_bad_card_are_errors_not_crashes(tmp_path):
    _save(_tiny(), tmp_path)
    card = json.loads((tmp_path / "tiny.json").read_text())
    card["config"]["hidden"] = 32  # the weights no longer fit the config
    (tmp_path / "tiny.json").write_text(json.dumps(card))
    with pytest.raises(pretrained.PretrainedError, match="do not fit"):
        pretrained.load("tiny", tmp_path)
    (tmp_path / "tiny.json").write_text("{not json")
    with pytest.raises(pretrained.PretrainedError, match="not valid"):
        pretrained.load_card("tiny", tmp_path)
    assert pretrained.list_cards(tmp_path) == []


def test_weights_are_safetensors_not_pickles(tmp_path):
    _save(_tiny(), tmp_path)
    head = (tmp_path / "tiny.safetensors").read_bytes()[:64]
    assert b"PK" not in head[:4] and not head.startswith(b"\x80")  # neither a zip nor a pickle


@pytest.mark.parametrize("card", pretrained.list_cards(), ids=lambda c: c.name)
def test_every_shipped_model_loads_and_matches_its_card(card):
    weights = pretrained.PRETRAINED_DIR / card.weights
    assert card.weights == f"{card.name}.safetensors"
    assert card.sha256 == pretrained.sha256_file(weights)  # the card against the file, not against itself
    assert weights.stat().st_size < 20 * 2**20
    model, _ = pretrained.load(card.name)
    assert pretrained.config_dict(model) == card.config
    assert card.family in pretrained.FAMILIES and card.data and card.metrics
    assert card.command.split()[:5] == ["python", "-m", "dgm_core", "train", card.name]


def test_every_file_in_pretrained_is_a_card_its_weights_or_a_run_checkpoint():
    """Nothing stray ships: a card and its weights, or the checkpoint of a long run still under way
    (pretrained/checkpoints/<recipe>.pt, small enough to travel by git, removed when the run ends), or the MNAR
    lab's precomputed grid: its card and the files that card names (dgm_core.demos.mnar_grid)."""
    from dgm_core import training
    from dgm_core.demos import mnar_grid

    names = {c.name for c in pretrained.list_cards()}
    grid = pretrained.PRETRAINED_DIR / mnar_grid.CARD
    names_grid = {grid.name, *(t["file"] for t in json.loads(grid.read_text())["tables"].values())} \
        if grid.exists() else set()
    for path in pretrained.PRETRAINED_DIR.rglob("*"):
        if path.is_dir():
            assert path.name == "checkpoints", path
            continue
        rel = path.relative_to(pretrained.PRETRAINED_DIR)
        if rel.parts[0] == "checkpoints":
            assert path.suffix == ".pt" and path.stem in {*training.RECIPES, *training.UNSHIPPED}, rel
            assert path == training.checkpoint_path(path.stem) and path.stat().st_size < 20 * 2**20
        elif rel.name.startswith("mnar-grid"):
            assert rel.name in names_grid and path.stat().st_size < 20 * 2**20, rel
        else:
            assert path.suffix in (".json", ".safetensors") and path.stem in names, rel

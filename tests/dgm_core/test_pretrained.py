"""Registry: save/load round trip, sha256 verification, missing and corrupted files, shipped cards."""
import json

import pytest
import torch

from dgm_core import pretrained
from dgm_core.models.vae import VAE, Config


def _tiny(seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(Config(shape=(1, 8, 8), latent=3, hidden=16))


def _save(model, tmp_path, name="tiny"):
    return pretrained.save(model, name=name, family="vae", data="unit test", seed=0,
                           training_time_s=1.23, metrics={"test_log_lik": -1.0}, directory=tmp_path)


def test_round_trip_restores_exact_weights_and_card(tmp_path):
    model = _tiny()
    card = _save(model, tmp_path)
    loaded, card2 = pretrained.load("tiny", tmp_path)
    assert card2 == card
    assert card.sha256 == pretrained.sha256_file(tmp_path / "tiny.safetensors")
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
    model, loaded_card = pretrained.load(card.name)
    assert loaded_card.sha256 == card.sha256
    assert (pretrained.PRETRAINED_DIR / card.weights).stat().st_size < 20 * 2**20
    assert card.command.startswith("python -m dgm_core train")

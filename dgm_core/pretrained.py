"""Shipped models: ``pretrained/<name>.safetensors`` (tensors only, so loading runs no code) and ``<name>.json``, its
card (family, config, sha256 checked before loading, data, seed, metrics). Families are import paths, so listing
cards imports no model.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import functools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"

# family name -> "module:Class"; the class has a `Config` dataclass and takes it as its only argument.
FAMILIES: dict[str, str] = {
    "vae": "dgm_core.models.vae:VAE",
    "miwae": "dgm_core.models.miwae:MIWAE",
    "dmfa": "dgm_core.models.dmfa:DMFA",
    "mfa": "dgm_core.models.mfa:MFA",
    "notmiwae-conv": "dgm_core.models.notmiwae_conv:ConvNotMIWAE",
    "notmiwae-tabular": "dgm_core.models.notmiwae:NotMIWAE",
    "vae-gmm": "dgm_core.models.vae_gmm:VaeGmm",
    "wgan": "dgm_core.models.wgan:WGAN",
    "flow": "dgm_core.models.flow:FlowUNet",
    "digits": "dgm_core.models.digits:DigitNet",
}


class PretrainedError(Exception):
    """A shipped model cannot be used (its card or weights missing, corrupted, or not this model's); the message is
    one sentence a page can show, and the warm-up can log on one line."""


class WeightsMissingError(PretrainedError, FileNotFoundError):
    pass


class ChecksumError(PretrainedError):
    pass


@dataclass(frozen=True)
class ModelCard:
    """What a user (and a test) needs to know about a shipped model."""

    name: str
    family: str
    config: dict[str, Any]
    weights: str  # file name inside the pretrained directory
    sha256: str
    data: str  # data set, split and preprocessing it was trained on
    seed: int
    training_time_s: float
    metrics: dict[str, Any] = field(default_factory=dict)
    command: str = ""  # the CLI command that rebuilds it
    evaluate_command: str = ""  # the CLI command that last re-measured its test metrics ("" = training did)
    notes: str = ""
    created: str = ""
    torch_version: str = ""
    browser: dict[str, Any] = field(default_factory=dict)  # its ONNX export for the browser (dgm_core.export)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=False) + "\n"


def _said(e: BaseException) -> str:
    """An exception's text on one line, shortened: what a sentence may quote of it."""
    return " ".join(str(e).split())[:120] or type(e).__name__


def model_class(family: str) -> type[torch.nn.Module]:
    if family not in FAMILIES:
        raise PretrainedError(f"Unknown model family '{family}'; known: {', '.join(sorted(FAMILIES))}.")
    module, cls = FAMILIES[family].split(":")
    return getattr(importlib.import_module(module), cls)


def build(family: str, config: dict[str, Any]) -> torch.nn.Module:
    """A fresh model of ``family`` from a JSON-able config dict (unknown keys are an error)."""
    cls = model_class(family)
    return cls(cls.Config(**config))


def config_dict(model: torch.nn.Module) -> dict[str, Any]:
    """The model's config as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(model.cfg)))


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save(model: torch.nn.Module, *, name: str, family: str, data: str, seed: int,
         training_time_s: float, metrics: dict[str, Any] | None = None, command: str = "",
         notes: str = "", directory: str | Path | None = None) -> ModelCard:
    """Write ``<name>.safetensors`` and ``<name>.json`` and return the card."""
    directory = Path(directory or PRETRAINED_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    weights = f"{name}.safetensors"
    # clone: safetensors refuses tensors that share storage (tied or viewed parameters)
    state = {k: v.detach().to("cpu").clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(directory / weights))
    card = ModelCard(
        name=name, family=family, config=config_dict(model), weights=weights,
        sha256=sha256_file(directory / weights), data=data, seed=int(seed),
        training_time_s=round(float(training_time_s), 1), metrics=metrics or {}, command=command,
        notes=notes, created=time.strftime("%Y-%m-%d"), torch_version=torch.__version__,
    )
    (directory / f"{name}.json").write_text(card.to_json())
    return card


def load_card(name: str, directory: str | Path | None = None) -> ModelCard:
    """The card ``name``; parsed again only when its file changes (pages ask on every rerun)."""
    path = Path(directory or PRETRAINED_DIR) / f"{name}.json"
    try:
        st = path.stat()
    except OSError:
        raise WeightsMissingError(f"No model card for '{name}' at {path}; rebuild it with "
                                  f"`python -m dgm_core train {name}`.") from None
    return _parse_card(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _parse_card(path: Path, mtime_ns: int, size: int) -> ModelCard:
    try:
        return ModelCard(**json.loads(path.read_text()))
    except (ValueError, TypeError) as e:  # not JSON, not UTF-8, or not a card's fields
        raise PretrainedError(f"The model card {path.name} is not valid ({_said(e)}); restore it from git or "
                              f"retrain with `python -m dgm_core train {path.stem}`.") from e


def list_cards(directory: str | Path | None = None) -> list[ModelCard]:
    """Every card in the directory, sorted by name (cards that fail to parse are skipped)."""
    directory = Path(directory or PRETRAINED_DIR)
    cards = []
    for path in sorted(directory.glob("*.json")):
        try:
            cards.append(load_card(path.stem, directory))
        except PretrainedError:
            continue
    return cards


def load(name: str, directory: str | Path | None = None,
         device: torch.device | str = "cpu") -> tuple[torch.nn.Module, ModelCard]:
    """Build the model of card ``name``, verify and load its weights, return it in eval mode."""
    directory = Path(directory or PRETRAINED_DIR)
    card = load_card(name, directory)
    path = directory / card.weights
    if not path.exists():
        raise WeightsMissingError(f"The weights of '{name}' ({path}) are missing; rebuild them with "
                                  f"`python -m dgm_core train {name}`.")
    digest = sha256_file(path)
    if digest != card.sha256:
        raise ChecksumError(f"The weights of '{name}' are corrupted: sha256 {digest[:12]}… does not "
                            f"match the card's {card.sha256[:12]}…; restore {path.name} from git or retrain.")
    try:
        model = build(card.family, card.config)
    except (TypeError, ValueError, ImportError, AttributeError) as e:  # a config this code's model does not take
        raise PretrainedError(f"The card of '{name}' describes a model this code cannot build ({_said(e)}); "
                              f"retrain it with `python -m dgm_core train {name}`.") from e
    try:
        state = load_file(str(path), device="cpu")
        model.load_state_dict(state)
    except Exception as e:  # safetensors header errors, shape mismatches (several lines of them: not quoted whole)
        raise PretrainedError(f"The weights of '{name}' do not fit its config ({_said(e)}); restore "
                              f"{path.name} from git or retrain.") from e
    return model.to(device).eval(), card

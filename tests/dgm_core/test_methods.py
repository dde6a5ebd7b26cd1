"""The method registry: every id has one label, written once in the code; colours come from the one
palette; an unknown id or colour raises; every inpainting method has its runner."""
import ast
from pathlib import Path

import pytest

from dgm_core import baselines, methods
from dgm_core.demos import inpainting, mnar
from dgm_core.methods import INPAINTING, MNAR, palette

ROOT = Path(__file__).resolve().parents[2]
REGISTRIES = [INPAINTING, MNAR]


def _strings() -> list[tuple[str, str]]:
    """(file, string constant) of every string literal in the code (tests aside)."""
    out = []
    for folder in ("dgm_core", "ui", "pages", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    out.append((str(path.relative_to(ROOT)), node.value))
    return out


def test_each_label_is_written_once_in_the_registry():
    strings = _strings()
    for registry in REGISTRIES:
        assert len({m.label for m in registry.values()}) == len(registry)
        for m in registry.values():
            if m.label == m.id or m.label in m.bench_keys:
                continue  # a baseline's id is its name, and a benchmark's key may be the label itself
            where = [f for f, s in strings if s == m.label]
            assert where == ["dgm_core/methods.py"], f"{m.label!r} is written in {where}"


def test_colours_come_from_the_palette_and_unknown_names_raise():
    for registry in REGISTRIES:
        for m in registry.values():
            assert m.colour == methods.PALETTE[m.colour_name] and m.colour.startswith("#")
    assert INPAINTING.colour("pseudo_gibbs") == "#0072B2" and INPAINTING.colour("mwg") == "#D55E00"
    assert MNAR.colour("notmiwae_known") == "#CC79A7"
    with pytest.raises(KeyError, match="Unknown MNAR method 'not-MIWAE'"):
        MNAR.colour("not-MIWAE")  # a display label is not an id
    with pytest.raises(KeyError, match="No colour named"):
        palette("teal")
    assert len(set(methods.CYCLE)) == 8


def test_every_inpainting_method_has_its_runner_and_dispatches_through_it():
    assert set(inpainting.RUNNERS) == set(INPAINTING)
    assert set(inpainting.RUNNERS.values()) == {
        inpainting.run_chain, inpainting.run_importance, inpainting.run_dmfa, inpainting.run_mfa,
        inpainting.run_flow, inpainting.run_flow_smc, inpainting.run_flow_twisted, inpainting.run_mean_fill,
        inpainting.run_neighbour_fill}
    assert set(inpainting.DEFAULT_METHODS) <= set(INPAINTING)


def test_inpainting_labels_name_the_kernel_of_the_exact_sampler():
    assert methods.inpainting_label("mwg", "hmc") == "MWG, HMC z-moves"
    assert methods.inpainting_label("mwg") == INPAINTING["mwg"].label
    assert methods.inpainting_label("pseudo_gibbs", "pseudo") == INPAINTING["pseudo_gibbs"].label


def test_mnar_ids_cover_the_lab_and_the_benchmarks_names():
    assert set(mnar.MISSING) | set(baselines.BASELINES) <= set(MNAR)
    assert set(mnar.EXTRAS) <= set(MNAR) and all(MNAR[m].short for m in mnar.EXTRAS)
    assert mnar.label("notmiwae_known") == "not-MIWAE, known direction"
    from benchmarks.notmiwae_cutoff import METHODS as swept
    assert [MNAR.by_bench_key(k).id for k in swept] == [
        "notmiwae_known", "notmiwae_steep", "notmiwae", "notmiwae_ppca", "miwae", "MICE", "mean"]
    with pytest.raises(KeyError):
        MNAR.by_bench_key("not-MIWAE, known direction")

"""dgm_core.demos.results: every figure of the results page is the value its file holds at the place the
row names, nothing is typed in code (shift every number of every file and every row follows), a published
figure is a row only where its status says verified, each section's slide lines are one line each, a section
without its file says so, and the small rerun gives back the shipped inpainting figure's ordering."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from dgm_core.demos import results as demo

ROOT = Path(__file__).resolve().parents[2]


def resolve(data, where):
    """The test's own reading of a row's path: keys, indices, or the one record matching a filter."""
    for step in where:
        if isinstance(step, dict):
            (data,) = [d for d in data if all(d[k] == v for k, v in step.items())]
        else:
            data = data[step]
    return data


def check_rows(rows: list[demo.Row], root: Path) -> None:
    for r in rows:
        assert r.ours == resolve(json.loads((root / r.source).read_text()), r.where), r.id
        if r.published is not None:
            assert r.published == resolve(json.loads((root / r.published_source).read_text()), r.published_where), r.id


def copy_sources(dest: Path) -> Path:
    """The files the page reads, in the same layout under ``dest``."""
    for pattern in ("benchmarks/published.json", "benchmarks/results/*.json", "pretrained/*.json"):
        for f in ROOT.glob(pattern):
            (dest / f.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest / f.relative_to(ROOT))
    return dest


def shift(node, by: float):
    """Every float in a JSON tree plus ``by`` (integers are counts and settings: steps, seeds, warm starts)."""
    if isinstance(node, float):
        return node + by
    if isinstance(node, dict):
        return {k: shift(v, by) for k, v in node.items()}
    if isinstance(node, list):
        return [shift(v, by) for v in node]
    return node


def test_every_row_is_the_value_at_its_place_in_its_file():
    secs = demo.sections()
    assert [s.key for s in secs] == ["dlvm", "flow", "miwae", "dmfa", "notmiwae", "vae", "vae_gmm", "wgan"]
    for s in secs:
        check_rows(s.rows, ROOT)
        if s.key != "wgan":
            assert s.measured and s.rows, s.key
        assert s.paper and s.published and s.command
        assert "{" not in s.protocol + s.differences  # every template field was filled from a file
    ids = [r.id for s in secs for r in s.rows]
    assert len(ids) == len(set(ids))  # the page's tables are indexed by id


def test_only_verified_published_figures_are_shown():
    """The DLVM, MIWAE-paper and VAE+GMM tables are unverified: no published column there."""
    by_key = {s.key: s for s in demo.sections()}
    for key in ("dlvm", "vae_gmm"):
        assert all(r.published is None for r in by_key[key].rows)
        assert "unverified" in by_key[key].published or "could not be checked" in by_key[key].published
    # the not-MIWAE Table 1 figures: every row of the file carries the paper's
    table1 = [r for r in by_key["notmiwae"].rows if r.source.endswith("notmiwae.json")]
    assert table1 and all(r.published is not None for r in table1)


NO_PUBLISHED = "No verified published figure exists for this;"


def test_each_slide_says_in_one_line_what_is_published_and_where_we_differ():
    for s in demo.sections():
        for line in (s.published_short, s.gist):
            assert line and "\n" not in line and len(line) <= 200 and "{" not in line, (s.key, line)
        # the line says there is none exactly where no row carries a published figure
        assert s.published_short.startswith(NO_PUBLISHED) is not s.has_published, s.key
        assert bool(s.cite) is s.has_published, s.key  # the source a published marker's hover names
    assert {s.key for s in demo.sections() if s.has_published} == {"miwae", "dmfa", "notmiwae", "vae"}


def test_a_published_figure_is_a_row_only_while_its_status_says_verified(tmp_path):
    root = copy_sources(tmp_path)
    vae = next(s for s in demo.sections(root) if s.key == "vae")
    (ref,) = [r for r in vae.rows if r.published is not None]
    assert ref.published == json.loads((root / demo.PUBLISHED).read_text())["sections"]["vae"]["reference"][
        "test_log_lik"]
    published = json.loads((root / demo.PUBLISHED).read_text())
    published["sections"]["vae"]["reference"]["status"] = "read off an image, not verified"
    (root / demo.PUBLISHED).write_text(json.dumps(published))
    vae = next(s for s in demo.sections(root) if s.key == "vae")
    assert not vae.has_published and all(r.published is None for r in vae.rows)
    # the VAE+GMM figures cited for scale are unverified: none is a row's published figure, whatever its value
    gmm = next(s for s in demo.sections(root) if s.key == "vae_gmm")
    assert not gmm.has_published and published["sections"]["vae_gmm"]["for_scale"]


def test_the_vae_gmm_section_holds_every_variant_every_seed_and_round():
    (gmm,) = [s for s in demo.sections() if s.key == "vae_gmm"]
    files = sorted(ROOT.glob("benchmarks/results/vae_gmm*.json"))
    assert sorted(gmm.panels) == sorted(gmm.files) == sorted(str(f.relative_to(ROOT)) for f in files)
    for f in files:
        d = json.loads(f.read_text())
        mine = [r for r in gmm.rows if r.source == str(f.relative_to(ROOT))]
        summary = [r for r in mine if r.setting.endswith(("mean over seeds", "worst seed"))]
        per_round = sorted((r.x, r.ours) for r in mine if r not in summary)  # x: the round
        assert per_round == sorted((rnd["round"], rnd["test_accuracy"]) for run in d["runs"] for rnd in run["rounds"])
        assert sorted(r.ours for r in summary) == sorted(
            d["summary"][k] for k in ("round0_mean", "last_mean", "last_min", "sklearn_last_mean"))
    check_rows(gmm.rows, ROOT)


def test_nothing_is_typed_every_figure_follows_its_file(tmp_path):
    """Shift every float in every file the page reads: every figure on the page shifts with it."""
    root = copy_sources(tmp_path)
    before = [r for s in demo.sections(root) for r in s.rows]
    for f in [*root.glob("benchmarks/results/*.json"), *root.glob("pretrained/*.json"), root / demo.PUBLISHED]:
        f.write_text(json.dumps(shift(json.loads(f.read_text()), 0.5)))
    after = [r for s in demo.sections(root) for r in s.rows]
    assert len(after) == len(before)  # the same rows, in the same order (an id may hold a shifted theta)
    for s in demo.sections(root):
        check_rows(s.rows, root)
    for b, a in zip(before, after):
        assert (a.section, a.method, a.metric) == (b.section, b.method, b.metric)
        assert a.ours == b.ours + (0.5 if isinstance(b.ours, float) else 0), b.id
        if isinstance(b.published, float):
            assert a.published == b.published + 0.5, b.id


def test_a_section_without_its_file_says_not_measured_and_one_with_it_shows_it(tmp_path):
    root = copy_sources(tmp_path)
    for f in [*root.glob("benchmarks/results/wgan*.json"), *root.glob("benchmarks/results/critics*.json")]:
        f.unlink()
    (wgan,) = [s for s in demo.sections(root) if s.key == "wgan"]
    assert not wgan.measured and not wgan.rows
    # the critics sweep alone: estimate against the true value per theta; the WGAN file is still missing
    (root / "benchmarks/results/critics.json").write_text(json.dumps(
        {"command": "python -m dgm_core bench critics", "thetas": [0.0, 1.5],
         "estimates": {"hellinger": [0.01, 1.87], "wasserstein": [0.02, 1.41]},
         "true_values": {"hellinger": [0.0, 2.0], "wasserstein": [0.0, 1.5]}, "machine": {"cpu_count": 2}}))
    (wgan,) = [s for s in demo.sections(root) if s.key == "wgan"]
    assert wgan.measured and wgan.missing == ["benchmarks/results/wgan.json"]
    assert [(r.method, r.x, r.ours, r.published) for r in wgan.rows] == [
        ("hellinger", 0.0, 0.01, 0.0), ("hellinger", 1.5, 1.87, 2.0),
        ("wasserstein", 0.0, 0.02, 0.0), ("wasserstein", 1.5, 1.41, 1.5)]
    check_rows(wgan.rows, root)
    # a WGAN file of any shape: every number with its path, the machine block left out
    (root / "benchmarks/results/wgan.json").write_text(json.dumps(
        {"command": "python -m dgm_core bench wgan", "fid": {"mnist": 41.5}, "machine": {"cpu_count": 2}}))
    (wgan,) = [s for s in demo.sections(root) if s.key == "wgan"]
    generic = [r for r in wgan.rows if r.source.endswith("wgan.json")]
    assert not wgan.missing and [(r.setting, r.ours) for r in generic] == [("fid.mnist", 41.5)]
    assert wgan.command == "python -m dgm_core bench wgan and python -m dgm_core bench critics"
    check_rows(wgan.rows, root)


def test_a_missing_results_file_leaves_the_other_sections(tmp_path):
    root = copy_sources(tmp_path)
    (root / "benchmarks/results/dmfa.json").unlink()
    by_key = {s.key: s for s in demo.sections(root)}
    assert not by_key["dmfa"].measured and by_key["notmiwae"].measured


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("DGM_DATA_DIR"), reason="the small rerun needs MNIST (set DGM_DATA_DIR)")
def test_the_small_rerun_reports_progress_and_puts_the_shipped_figure_beside_its_own():
    import torch

    from dgm_core import pretrained

    torch.set_num_threads(1)
    seen: list[float] = []
    run = demo.small_rerun(pretrained.load("vae-mnist")[0], pretrained.load("miwae-mnist")[0],
                           progress=lambda frac, what: seen.append(frac))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    fresh = {r.method: r.ours for r in run.rows}
    assert set(fresh) == {"pseudo-Gibbs", "MWG hmc", "MIWAE-IS"}
    for r in run.rows:  # the shipped figure is the benchmark file's
        assert r.published == resolve(json.loads((ROOT / r.published_source).read_text()), r.published_where)
    # the benchmark's finding comes back at this size: the exact sampler fills the bottom half better
    assert fresh["MWG hmc"] > fresh["pseudo-Gibbs"]

"""dgm_core.results: each loader reads its shipped file, an edited file is read again and an unchanged one is
not, a missing or stale file is one sentence naming the command that writes it, and no other module of the
app reads benchmarks/results JSON."""
from __future__ import annotations

import ast
import json
import os
import shutil
from pathlib import Path

import pytest

from dgm_core import results

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("dgm_core", "ui", "pages")
LOADERS = {"critics": results.critics, "wgan": results.wgan, "vae_bounds": results.vae_bounds,
           "vae_gmm": results.vae_gmm, "inpainting": results.inpainting, "inpainting_blur": results.inpainting_blur,
           "inpainting_page": results.inpainting_page, "inpainting_default": results.inpainting_default,
           "inpainting_fills": results.inpainting_fills, "notmiwae_cutoff": results.notmiwae_cutoff,
           "own_table": results.own_table, "class_experiment": results.phone_steps}


def shipped(name: str):
    return json.loads((ROOT / results.source(name)).read_text())


def copy_results(dest: Path) -> Path:
    shutil.copytree(ROOT / results.RESULTS, dest / results.RESULTS)
    return dest


def age(path: Path, seconds_ago: float) -> None:
    """Set the file's mtime in the past, out of the window where an equal mtime is not trusted."""
    t = path.stat().st_mtime - seconds_ago
    os.utime(path, (t, t))


def test_each_loader_reads_its_shipped_file():
    assert set(LOADERS) | {"notmiwae", "notmiwae_images", "dmfa", "inpainting_flow", "wgan_progress",
                          "flow_steps"} == \
        set(results.FILES)
    sweep = results.critics()
    assert sweep.thetas == shipped("critics")["thetas"] and sweep.command == shipped("critics")["command"]
    assert results.wgan().quality["wgan-mnist"]["frechet_distance"] == shipped("wgan")["digits"]["wgan-mnist"][
        "frechet_distance"]
    assert results.vae_bounds() == {n: m["curves"] for n, m in shipped("vae_bounds")["models"].items()}
    gmm = results.vae_gmm()
    assert gmm.summary == shipped("vae_gmm")["summary"] and len(gmm.seed_gains) == len(shipped("vae_gmm")["runs"])
    assert [n for n, _ in results.vae_gmm_variants()][0] == "vae_gmm"
    assert results.inpainting().records == shipped("inpainting")["records"]
    assert len(results.inpainting_blur()) == len(shipped("inpainting_blur")["rows"])
    assert results.inpainting_page() == {d: r["page_total_s"]
                                         for d, r in shipped("inpainting_page")["datasets"].items()}
    assert results.inpainting_default()["mnist"].default_index == \
        shipped("inpainting_default")["datasets"]["mnist"]["default_index"]
    assert results.notmiwae_cutoff().iterations == shipped("notmiwae_cutoff")["iterations"]
    assert len(results.inpainting_fills()) == len(shipped("inpainting_fills")["records"])
    assert results.own_table()  # every table's verdicts, read from the shipped file
    assert results.phone_steps() == {d: r["phone_steps"] for d, r in shipped("class_experiment")["datasets"].items()}
    for name in ("notmiwae", "notmiwae_images", "dmfa", "wgan_progress", "flow_steps"):
        assert results.document(name) == shipped(name)
    assert results.published() == json.loads((ROOT / results.PUBLISHED).read_text())


def test_an_edited_file_is_read_again_and_an_unchanged_one_is_not(tmp_path):
    root = copy_results(tmp_path)
    path = root / results.source("vae_bounds")
    age(path, 60)
    first = results.vae_bounds(root)
    assert results.vae_bounds(root) is first  # unchanged: the cached object, not a new parse
    rec = json.loads(path.read_text())
    model = next(iter(rec["models"]))
    rec["models"][model]["curves"] = {"edited": [1.0]}
    path.write_text(json.dumps(rec))
    age(path, 30)  # an older mtime than now, yet another than the cached one
    again = results.vae_bounds(root)
    assert again is not first and again[model] == {"edited": [1.0]}
    assert results.vae_bounds() is not again  # another root, another file


def test_a_file_rewritten_within_the_clock_tick_is_read_again(tmp_path):
    """Two writes in the same tick can leave the mtime (and the size) unchanged: a young file is not trusted."""
    root = copy_results(tmp_path)
    path = root / results.source("inpainting_page")
    text = path.read_text()
    path.write_text(text)  # written just now, as by a benchmark
    before = results.inpainting_page(root)
    stat = path.stat()
    i = text.index('"page_total_s": ') + len('"page_total_s": ')  # its first digit, changed in place
    path.write_text(text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert results.inpainting_page(root) != before


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_a_missing_file_is_one_sentence_naming_its_command(tmp_path, name):
    with pytest.raises(results.ResultsError) as err:
        LOADERS[name](tmp_path)
    what, bench = results.FILES[name]
    assert str(err.value) == (f"{what} has not been measured yet ({results.source(name)} is missing): "
                              f"run `python -m dgm_core bench {bench}`.")


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_a_stale_file_is_one_sentence_naming_its_command(tmp_path, name):
    (tmp_path / results.RESULTS).mkdir(parents=True)
    (tmp_path / results.source(name)).write_text('["an older format"]')
    with pytest.raises(results.ResultsError) as err:
        LOADERS[name](tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and msg.endswith(f"rerun `python -m dgm_core bench {results.FILES[name][1]}`.")
    assert msg.startswith(results.FILES[name][0]) and results.source(name) in msg


def test_a_variant_file_names_the_bench_of_its_family(tmp_path):
    with pytest.raises(results.ResultsError, match=r"run `python -m dgm_core bench vae_gmm`\.$"):
        results.vae_gmm(tmp_path, "vae_gmm_depth1_h256_kmeans")


# ---------------------------------------------------------------- no other reader


def _results_names() -> set[str]:
    return {p.stem for p in (ROOT / results.RESULTS).glob("*.json")}


def reads_results_json(source: str) -> bool:
    """Whether a module names a benchmarks/results JSON file (or that folder) in code, not in a docstring,
    and reads JSON or a file: ``json.load(s)``, ``.read_text``, ``.read_bytes`` or ``open``."""
    tree = ast.parse(source)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    names = _results_names()

    def names_results(s: str) -> bool:
        stem = Path(s.split("/")[-1]).name.removesuffix(".json").rstrip("*") if s.endswith(".json") else ""
        return s == "results" or "benchmarks/results" in s or (bool(stem) and any(n.startswith(stem) for n in names))

    keys = {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}  # reply["results"]: a dict's key
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
               and id(n) not in docstrings and id(n) not in keys]
    calls = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
             for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return any(names_results(s) for s in strings) and bool(calls & {"load", "loads", "read_text", "read_bytes", "open"})


def test_the_check_finds_the_readers_it_replaced():
    assert reads_results_json('import json\nfrom pathlib import Path\n'
                              'F = Path(__file__).parents[1] / "benchmarks" / "results" / "vae_bounds.json"\n'
                              'def f():\n    return json.loads(F.read_text())\n')
    assert reads_results_json('import json\nB = PAGE.with_name("inpainting_blur.json")\n'
                              'def f():\n    with open(B) as fh:\n        return json.load(fh)\n')
    assert reads_results_json('import json\ndef f(root):\n'
                              '    return json.loads((root / "benchmarks/results/dmfa.json").read_text())\n')
    assert not reads_results_json('"""Reads benchmarks/results/critics.json through dgm_core.results."""\n'
                                  'from dgm_core import results\nsweep = results.critics()\n')
    assert not reads_results_json('import json\ndef f(reply, path):\n'
                                  '    return reply["results"], json.loads(path.read_text())\n')


def test_only_dgm_core_results_reads_benchmark_json():
    readers = [str(p.relative_to(ROOT)) for d in SCANNED for p in sorted((ROOT / d).rglob("*.py"))
               if reads_results_json(p.read_text(encoding="utf-8"))]
    # dgm_core/docs.py writes docs/RESULTS.md from the files' numbers exactly as written (Decimal), which the typed
    # loaders do not keep; it renders, and no page reads it
    assert readers == ["dgm_core/docs.py", "dgm_core/results.py"], readers


def test_a_vae_gmm_file_says_its_prior_tag_and_processor(tmp_path):
    """A variant's prior, a rerun's tag and where it was measured come from the file; an older file without them
    reads as the diagonal prior, no tag, measured where unknown."""
    import json
    d = json.loads((ROOT / results.source("vae_gmm")).read_text())
    (tmp_path / results.RESULTS).mkdir(parents=True)
    d.pop("prior", None), d.pop("tag", None), d.pop("first_start", None), d["machine"].pop("cpu", None)
    d["machine"].pop("kernels", None)  # older files named neither the processor nor its kernels
    d.pop("first_chain", None), d.pop("later_chain", None)  # nor how a round treats its start
    (tmp_path / results.source("vae_gmm")).write_text(json.dumps(d))
    old = results.vae_gmm(tmp_path)
    assert (old.prior, old.tag, old.measured) == ("diag", "", d["machine"]["date"])
    d.update(prior="full", tag="rerun")
    d["machine"]["cpu"] = "a processor avx2"
    (tmp_path / results.RESULTS / "vae_gmm_depth2_h512_previous_full_rerun.json").write_text(json.dumps(d))
    new = results.vae_gmm(tmp_path, "vae_gmm_depth2_h512_previous_full_rerun")
    assert (new.prior, new.tag, new.measured) == ("full", "rerun", f"{d['machine']['date']} on a processor avx2")
    assert (old.first_start, new.first_start) == ("kmeans", "kmeans")  # files before the t-SNE start had none
    assert old.first_chain == "gibbs"  # files before round 0 could keep its start ran its chain
    d.update(first_start="tsne", first_chain="start", tag="")
    (tmp_path / results.RESULTS / "vae_gmm_depth2_h512_previous_tsne_start.json").write_text(json.dumps(d))
    kept = results.vae_gmm(tmp_path, "vae_gmm_depth2_h512_previous_tsne_start")
    assert kept.first_chain == "start"
    from ui.clusters_view import describe
    assert "round 0 from k-means on a t-SNE map (kept)" in describe(kept)
    assert "kept" not in describe(old)


def test_a_run_with_another_processors_kernels_says_so(tmp_path, monkeypatch):
    """A rerun forced onto other vector kernels (ATEN_CPU_CAPABILITY and the like) is named by them, beside the
    processor it ran on; a run on the processor's own kernels is named by the processor alone."""
    import json

    from benchmarks.common import machine
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    forced = machine((0.0, 0.0, 0.0))
    assert "ATEN_CPU_CAPABILITY=avx2" in forced["kernels"]
    d = json.loads((ROOT / results.source("vae_gmm")).read_text())
    (tmp_path / results.RESULTS).mkdir(parents=True)
    d["machine"].update(cpu="a processor avx512f", kernels=forced["kernels"])
    d["first_start"] = "tsne"
    (tmp_path / results.source("vae_gmm")).write_text(json.dumps(d))
    v = results.vae_gmm(tmp_path)
    assert v.measured.endswith("on a processor avx512f with " + forced["kernels"]) and v.first_start == "tsne"
    d["machine"]["kernels"] = "AVX512"
    (tmp_path / results.source("vae_gmm")).write_text(json.dumps(d))
    assert results.vae_gmm(tmp_path).measured.endswith("on a processor avx512f")

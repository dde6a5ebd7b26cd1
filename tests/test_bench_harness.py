"""benchmarks.harness: the options every script shares, the stamp, the results pair, a file that keeps several runs'
records, a JSON that holds part of the record, one sentence for what a run cannot do; and the CLI's list of benchmarks
is the harness's registry."""
from __future__ import annotations

import argparse
import importlib
import json

import pytest

from benchmarks import harness
from dgm_core.__main__ import benchmarks


def _run(a: argparse.Namespace) -> dict:
    if a.size < 0:
        raise harness.BenchError("--size is at least 0")
    return {"size": a.size, "threads": a.threads, "seen_before": sorted(a.previous)}


def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=int, default=3)


def _report(doc: dict) -> str:
    return f"# toy {doc['size']}\n" if "size" in doc else f"# toys {', '.join(doc['records'])}\n"


def _bench(**kw) -> harness.Bench:
    return harness.Bench("toy", "A toy benchmark.\n\nMore words.", _run, _report, options=_options, threads=1, **kw)


def test_a_run_writes_its_stamped_record_and_report_under_out(tmp_path, capsys):
    assert _bench().main(["--size", "5", "--out", str(tmp_path)]) == 0
    rec = json.loads((tmp_path / "toy.json").read_text())
    assert (rec["size"], rec["threads"], rec["seen_before"]) == (5, 1, [])
    assert rec["command"] == f"python -m dgm_core bench toy --size 5 --out {tmp_path}"
    m = rec["machine"]
    assert len(m["load_average_at_start"]) == 3 and len(m["load_average_at_end"]) == 3 and m["seconds"] >= 0
    assert m["torch"] and m["date"]
    assert (tmp_path / "toy.md").read_text() == "# toy 5\n" and "# toy 5" in capsys.readouterr().out
    _bench().main(["--out", str(tmp_path)])  # the next run sees the last file
    assert json.loads((tmp_path / "toy.json").read_text())["seen_before"] == ["command", "machine", "seen_before",
                                                                              "size", "threads"]


def test_a_record_keeps_a_command_it_names_itself(tmp_path):
    b = _bench()
    b.run = lambda a: {"size": 1, "command": "python -m dgm_core bench toy --size 1 --every-choice"}
    b.main(["--out", str(tmp_path)])
    assert json.loads((tmp_path / "toy.json").read_text())["command"].endswith("--every-choice")


def test_keyed_records_replace_only_their_own(tmp_path):
    b = _bench(merge=harness.keyed(lambda r: f"size={r['size']}"), file=lambda a: f"toy_{a.threads}")
    for size in (1, 2, 1):
        b.main(["--size", str(size), "--out", str(tmp_path)])
    records = json.loads((tmp_path / "toy_1.json").read_text())["records"]
    assert sorted(records) == ["size=1", "size=2"] and records["size=1"]["seen_before"] == ["records"]
    assert (tmp_path / "toy_1.md").read_text() == "# toys size=1, size=2\n"


def test_the_json_may_hold_part_of_what_the_report_reads(tmp_path):
    b = _bench(saved=lambda rec: [rec["size"]])
    b.main(["--size", "7", "--out", str(tmp_path)])
    assert json.loads((tmp_path / "toy.json").read_text()) == [7]


def test_what_a_run_cannot_do_is_one_sentence_and_writes_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        _bench().main(["--size", "-1", "--out", str(tmp_path)])
    assert e.value.code == 2 and capsys.readouterr().err.strip().endswith("error: --size is at least 0")
    assert not (tmp_path / "toy.json").exists()
    assert _bench(ok=lambda rec: rec["size"] > 3).main(["--size", "2", "--out", str(tmp_path)]) == 1


def test_the_cli_lists_exactly_the_scripts_registered_with_the_harness():
    names = benchmarks()
    assert len(names) >= 39 and "common" not in names and "harness" not in names and "fixtures" not in names
    for name in names:
        importlib.import_module(f"benchmarks.{name}")
    assert sorted(harness.REGISTRY) == names
    assert all(harness.REGISTRY[n].parser().prog == f"python -m dgm_core bench {n}" for n in names)

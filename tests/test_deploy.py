"""The hosted deployment's files (docs/DEPLOY.md): the CPU-only requirements variant keeps every pin of
requirements.txt but torch (CPU build, from the PyTorch CPU index) and torchvision (left out: the server
never imports it), and the Streamlit config holds what a hosted teaching app needs."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_the_cloud_requirements_are_the_app_pins_with_the_cpu_only_torch():
    app, cloud = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-cloud.txt")
    assert "torchvision" not in cloud
    assert cloud["torch"].endswith("+cpu")
    assert {k: v for k, v in app.items() if k not in ("torch", "torchvision")} == {
        k: v for k, v in cloud.items() if k != "torch"}
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in (ROOT / "requirements-cloud.txt").read_text()


def test_the_server_never_imports_torchvision():
    """Only the data downloaders import it, inside functions; the app must start without it installed."""
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts) for folder in ("dgm_core", "ui")
               for p in sorted((ROOT / folder).rglob("*.py")) if p.name != "__main__.py"]
    code = ("import sys, importlib; sys.modules['torchvision'] = None\n"  # None: `import torchvision` fails
            f"for m in {modules!r}:\n    importlib.import_module(m.removesuffix('.__init__'))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_streamlit_config_is_a_hosted_teaching_apps():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["client"]["toolbarMode"] == "viewer"
    assert cfg["server"]["fileWatcherType"] == "none"
    assert cfg["server"]["headless"] is True
    assert 1 <= cfg["server"]["maxUploadSize"] <= 50  # MB: a photo for the image converter, not a data dump
    assert cfg["browser"]["gatherUsageStats"] is False

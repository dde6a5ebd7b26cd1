"""dgm_core.device: where tensors live, how many threads, seeded generators. Every test here can fail
on a CPU-only machine: the accelerator probe is patched both ways instead of read from the hardware."""
import pytest
import torch

from dgm_core import device


def _accelerator(monkeypatch, available: bool) -> None:
    """Pretend that CUDA is (or is not) there, for torch.accelerator and torch.cuda alike."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    if getattr(torch, "accelerator", None) is not None:
        monkeypatch.setattr(torch.accelerator, "is_available", lambda: available)
        monkeypatch.setattr(torch.accelerator, "current_accelerator",
                            lambda *a, **k: torch.device("cuda") if available else None)


@pytest.mark.parametrize("available", [False, True])
def test_default_device_follows_the_accelerator_probe(monkeypatch, available):
    monkeypatch.delenv("DGM_DEVICE", raising=False)
    _accelerator(monkeypatch, available)
    assert device.default_device().type == ("cuda" if available else "cpu")


def test_dgm_device_overrides_the_probe(monkeypatch):
    _accelerator(monkeypatch, True)
    monkeypatch.setenv("DGM_DEVICE", "cpu")
    assert device.default_device() == torch.device("cpu")  # an accelerator is there, and not used
    _accelerator(monkeypatch, False)
    monkeypatch.setenv("DGM_DEVICE", "cuda:1")
    assert device.default_device() == torch.device("cuda", 1)  # taken as given, not second-guessed
    monkeypatch.setenv("DGM_DEVICE", "")  # empty means unset
    assert device.default_device() == torch.device("cpu")


def test_the_real_default_device_holds_tensors(monkeypatch):
    monkeypatch.delenv("DGM_DEVICE", raising=False)
    dev = device.default_device()
    assert dev.type == ("cuda" if torch.cuda.is_available() else dev.type)
    assert torch.zeros(1, device=dev).device.type == dev.type


def test_generators_are_reproducible_and_independent():
    a = torch.rand(5, generator=device.generator(3))
    b = torch.rand(5, generator=device.generator(3))
    c = torch.rand(5, generator=device.generator(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # a fresh generator each call: drawing from one does not move another with the same seed
    g1, g2 = device.generator(3), device.generator(3)
    torch.rand(100, generator=g1)
    assert torch.equal(torch.rand(5, generator=g2), a)
    assert device.generator(3, "cpu").device == torch.device("cpu")
    assert (device.rng(1).random(3) == device.rng(1).random(3)).all()
    assert (device.rng(1).random(3) != device.rng(2).random(3)).any()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_generators_on_cuda_are_reproducible():
    g = device.generator(3, "cuda")
    assert g.device.type == "cuda"
    a = torch.rand(5, generator=g, device="cuda")
    assert torch.equal(a, torch.rand(5, generator=device.generator(3, "cuda"), device="cuda"))
    assert not torch.equal(a, torch.rand(5, generator=device.generator(4, "cuda"), device="cuda"))


def test_set_threads_sets_torch_and_clamps(monkeypatch):
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        assert device.set_threads(0) == 1 and torch.get_num_threads() == 1
        assert device.set_threads(2) == 2 and torch.get_num_threads() == 2
        monkeypatch.setenv("DGM_THREADS", "3")
        assert device.set_threads() == 3 and torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(old)


def test_describe_names_the_device(monkeypatch):
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        line = device.describe(torch.device("cpu"))
        assert line.startswith("CPU · 1 thread") and torch.__version__ in line
    finally:
        torch.set_num_threads(old)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "Test GPU")
    assert device.describe(torch.device("cuda")) == "CUDA (Test GPU)"

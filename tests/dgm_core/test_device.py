import torch

from dgm_core import device


def test_default_device_is_cpu_here_and_can_be_forced(monkeypatch):
    monkeypatch.setenv("DGM_DEVICE", "cpu")
    assert device.default_device() == torch.device("cpu")
    monkeypatch.delenv("DGM_DEVICE")
    dev = device.default_device()
    assert dev.type == ("cuda" if torch.cuda.is_available() else dev.type)
    assert torch.zeros(1, device=dev).device.type == dev.type


def test_generators_are_reproducible_and_independent():
    a = torch.rand(5, generator=device.generator(3))
    b = torch.rand(5, generator=device.generator(3))
    c = torch.rand(5, generator=device.generator(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert (device.rng(1).random(3) == device.rng(1).random(3)).all()


def test_set_threads_clamps_and_applies():
    old = torch.get_num_threads()
    try:
        assert device.set_threads(0) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(old)

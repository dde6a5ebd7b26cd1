"""The 2-D GAN of the GAN training page (dgm_core.models.toy_gan, dgm_core.demos.gan): the toys, the start away
from the data, the lesson (on the line, the Hellinger critic saturates and its generator stays off the data while
the Wasserstein one reaches it), and one seed, one film."""
from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import torch

from dgm_core.demos import gan as demo
from dgm_core.models import toy_gan as tg
from server import AdmissionQueue
from server.gan_player import QUEUE_NAME, Player
from dgm_core.tabular import single_thread


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_the_ring_is_eight_equal_modes_on_a_circle_of_radius_two():
    x = tg.sample_toy("ring", 8000, _g())
    r = x.norm(dim=1)
    assert x.shape == (8000, 2) and (r - 2).abs().max() < 0.3
    mode = torch.round(torch.atan2(x[:, 1], x[:, 0]) / (2 * np.pi / 8)) % 8
    counts = torch.bincount(mode.long(), minlength=8).float()
    assert counts.min() > 0.9 * 1000 and counts.max() < 1.1 * 1000


def test_the_moons_and_the_line():
    m = tg.sample_toy("moons", 4000, _g()).numpy()
    assert m[:, 0].min() > -1.3 and m[:, 0].max() < 2.3 and m[:, 1].min() > -0.8 and m[:, 1].max() < 1.3
    line = tg.sample_toy("lines", 1000, _g()).numpy()
    assert np.all(line[:, 0] == 0) and 0 <= line[:, 1].min() and line[:, 1].max() <= 1
    with pytest.raises(ValueError, match="toy must be"):
        tg.sample_toy("spiral", 10, _g())


@pytest.mark.parametrize("toy", tg.TOYS)
def test_the_generator_starts_as_a_small_blob_off_the_data(toy):
    gan = tg.ToyGAN(tg.ToyConfig(toy=toy))
    pts = gan.points(tg.display_z())
    assert np.abs(pts.mean(0) - np.array(tg.START[toy])).max() < 0.2 and pts.std(0).max() < 0.2
    off, missed = tg.distances(pts, toy)
    assert off > 0.4 and missed > 0.4
    x0, x1, y0, y1 = tg.BOX[toy]
    assert x0 < tg.START[toy][0] < x1 and y0 < tg.START[toy][1] < y1  # the page's box shows it


def test_distances_are_zero_on_the_data_and_grow_off_it():
    data = tg.sample_toy("lines", 1000, _g(1)).numpy()
    assert tg.distances(data, "lines") == (0.0, 0.0)  # the same points: each is its own nearest
    off, _ = tg.distances(data + np.array([0.5, 0.0], dtype=np.float32), "lines")
    assert off == pytest.approx(0.5, abs=1e-5)


def test_on_the_line_hellinger_saturates_and_stays_off_while_wasserstein_reaches_the_data():
    race = demo.Race("lines", 1e-3, 5)
    with single_thread():
        race.advance(300)
    hel, was = race.frames["hellinger"], race.frames["wasserstein"]
    assert np.median([f.estimate for f in hel[30:140]]) > 1.9  # pinned near the ceiling of 2: disjoint supports
    assert hel[30].off - hel[140].off < 0.3 and was[140].off < 0.25  # one stalls, the other glides in
    assert hel[-1].off > 0.2 and was[-1].off < 0.1
    saturated = demo.Race("lines", 1e-3, 5)
    saturated.advance(60)
    assert "near its ceiling of 2" in demo.verdict(saturated, {"hellinger": "H", "wasserstein": "W"})


def test_one_seed_one_film():
    a, b = demo.Race("ring", 3e-3, 2), demo.Race("ring", 3e-3, 2)
    a.advance(3)
    b.advance(3)
    assert repr(a.frames) == repr(b.frames)  # repr: the first frame's estimate is nan, never equal to itself
    assert np.array_equal(a.gans["wasserstein"].points(a.z), b.gans["wasserstein"].points(b.z))


def test_a_race_stops_at_its_step_budget(monkeypatch):
    monkeypatch.setattr(demo, "MAX_STEPS", 3)
    race = demo.Race("lines", 1e-3, 1)
    race.advance(10)
    assert race.steps == 3 and race.done and len(race.frames["hellinger"]) == 4


def test_a_film_is_the_same_however_its_steps_are_grouped_and_each_step_has_its_picture():
    a, b = demo.Race("moons", 3e-3, 2), demo.Race("moons", 3e-3, 2)
    shots: list[demo.Snapshot] = []
    a.advance(3, shots)
    for _ in range(3):
        b.advance(1)
    assert repr(a.frames) == repr(b.frames)
    assert [s.step for s in shots] == [1, 2, 3]
    last = shots[-1]
    assert np.array_equal(last.points["hellinger"], b.gans["hellinger"].points(b.z))
    assert last.critic["wasserstein"].shape == (demo.MAP_N, demo.MAP_N)
    wire = last.wire()["wasserstein"]  # what the browser decodes: points to 0.01, the critic's levels 0..255
    pts = np.frombuffer(base64.b64decode(wire["pts"]), "<i2").reshape(-1, 2) / 100
    assert np.abs(pts - last.points["wasserstein"]).max() <= 0.005 + 1e-6
    levels = np.frombuffer(base64.b64decode(wire["t"]), np.uint8).reshape(demo.MAP_N, demo.MAP_N)
    t = last.critic["wasserstein"]
    assert levels.min() == 0 and levels.max() == 255 and (wire["lo"], wire["hi"]) == (round(float(t.min()), 4),
                                                                                      round(float(t.max()), 4))
    assert np.abs(wire["lo"] + levels / 255 * (wire["hi"] - wire["lo"]) - t).max() <= (t.max() - t.min()) / 255


def _until_stopped(player: Player) -> None:
    deadline = time.monotonic() + 60
    while player.playing and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_play_waits_for_a_slot_of_the_admission_queue_and_a_pause_while_queued_leaves_it():
    queue = AdmissionQueue(slots=1)
    player = Player(demo.Race("ring", 1e-3, 1), queue)
    with queue.slot("another session's run"):  # holds the only slot
        player.play(3)
        time.sleep(0.3)
        assert player.playing and player.place == 1 and player.race.steps == 0  # waits, trains nothing
    _until_stopped(player)
    assert player.race.steps == 3 and player.place is None and queue.typical(QUEUE_NAME) is not None
    with queue.slot("another session's run"):
        player.play(6)
        time.sleep(0.1)
        player.pause()  # while queued
        assert not player.playing and player.place is None
        after = queue.enqueue("next")
        assert queue.place(after) == 1  # the paused Play left the queue
        after.cancel()
    assert player.race.steps == 3  # and never trained


def test_a_session_neither_reads_nor_moves_the_process_wide_generator():
    """Issue 39: a server's sessions share torch's global generator, so a race draws only from generators of its own."""
    before = torch.get_rng_state()
    race = demo.Race("ring", 3e-3, 2)
    race.advance(2)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(12345)  # another session seeding the process-wide generator changes nothing here
    other = demo.Race("ring", 3e-3, 2)
    other.advance(2)
    assert repr(race.frames) == repr(other.frames)


def test_two_interleaved_sessions_with_one_seed_each_give_what_each_gives_alone():
    import threading

    def film(steps: int = 3) -> str:
        race = demo.Race("moons", 3e-3, 2)
        for _ in range(steps):
            race.advance(1)
            time.sleep(0.001)  # hand the processor to the other session between steps
        return repr(race.frames)

    alone = film()
    stop = threading.Event()

    def noise() -> None:  # a third session drawing from the global generator all along
        while not stop.is_set():
            torch.rand(64)

    films: list[str] = []
    threads = [threading.Thread(target=lambda: films.append(film())) for _ in range(2)]
    hum = threading.Thread(target=noise)
    hum.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    hum.join()
    assert films == [alone, alone]

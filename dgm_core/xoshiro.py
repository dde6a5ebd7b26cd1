"""The browser workers' seeded generators (static/js/kit/seeded_rng.js) in Python, so that what a visitor's browser
draws from a seed, ``dgm_core`` draws too: xoshiro128** (Blackman & Vigna, "Scrambled Linear Pseudorandom Number
Generators", ACM TOMS 2021, arXiv 1805.01407) seeded by splitmix32 (``Xoshiro``: the workers' generator), and
splitmix32 itself (``SplitMix``: the tabular trainer's, static/js/tabular/rng.js), whose i-th output is a hash of
seed + i·0x9E3779B9, so numpy draws a whole array at once: the server trains a table a browser could train on the
browser's very numbers (``dgm_core.tabular.fit(..., draws=SplitMix(seed))``) at numpy's speed, and the parity test
compares the two on the same batches and noise. (Xoshiro runs one output at a time, in pure Python.)

uniform(n): float32 in [0, 1) with 24 bits; uniform64(n): float64 in [0, 1) with 53 bits; normal(n): Box-Muller on
pairs of 24-bit uniforms, computed in float64 and stored as float32 (an odd n spends a whole pair on its last value).
"""
from __future__ import annotations

import numpy as np

M32 = 0xFFFFFFFF


def _rotl(v: int, k: int) -> int:
    return ((v << k) | (v >> (32 - k))) & M32


GOLDEN = 0x9E3779B9


def _mix(z):
    """splitmix32's output function (an int, or a uint64 array of 32-bit values)."""
    z = ((z ^ (z >> 16)) * 0x21F0AAAD) & M32
    z = ((z ^ (z >> 15)) * 0x735A2D97) & M32
    return z ^ (z >> 15)


class Draws:
    """The draws every generator here gives from ``raw(n)``, its next n 32-bit outputs ((n,) uint64)."""

    def raw(self, n: int) -> np.ndarray:
        raise NotImplementedError

    def uniform(self, n: int) -> np.ndarray:
        return ((self.raw(n) >> 8) / 16777216.0).astype(np.float32)

    def uniform64(self, n: int) -> np.ndarray:
        r = self.raw(2 * n)
        return ((r[0::2] >> 5) * 67108864 + (r[1::2] >> 6)) / 9007199254740992.0

    def normal(self, n: int) -> np.ndarray:
        u = (self.raw(2 * ((n + 1) // 2)) >> 8) / 16777216.0
        r = np.sqrt(-2.0 * np.log(1.0 - u[0::2]))
        t = 2.0 * np.pi * u[1::2]
        out = np.empty(2 * len(r), np.float64)
        out[0::2], out[1::2] = r * np.cos(t), r * np.sin(t)
        return out[:n].astype(np.float32)

    def rows(self, n: int, size: int) -> np.ndarray:
        """``size`` row indices drawn uniformly from range(n), with replacement: floor(u * n), u from uniform64."""
        return np.minimum(np.floor(self.uniform64(size) * n).astype(np.int64), n - 1)


class SplitMix(Draws):
    """splitmix32 as the generator, as rng.js's ``splitmix``: output i (from 1) is ``_mix(seed + i·GOLDEN mod 2^32)``;
    its period is 2^32 outputs a seed (a fresh generator per model and seed)."""

    def __init__(self, seed: int) -> None:
        self.x, self.i = int(seed) & M32, 0

    def raw(self, n: int) -> np.ndarray:
        k = np.arange(self.i + 1, self.i + n + 1, dtype=np.uint64)
        self.i += n
        return _mix((self.x + k * GOLDEN) & M32)


class Xoshiro(Draws):
    """xoshiro128** seeded by four splitmix32 outputs of ``seed`` (taken mod 2^32), as seeded_rng.js's ``seeded``."""

    def __init__(self, seed: int) -> None:
        self.s = [int(v) for v in SplitMix(seed).raw(4)]

    def next(self) -> int:
        s = self.s
        r = (_rotl((s[1] * 5) & M32, 7) * 9) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return r

    def raw(self, n: int) -> np.ndarray:
        """The next n 32-bit outputs, (n,) uint64: ``next`` inlined (locals, no calls), the loop every draw runs."""
        s0, s1, s2, s3 = self.s
        out = [0] * n
        for i in range(n):
            r = (s1 * 5) & M32
            out[i] = ((((r << 7) | (r >> 25)) & M32) * 9) & M32
            t = (s1 << 9) & M32
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = ((s3 << 11) | (s3 >> 21)) & M32
        self.s = [s0, s1, s2, s3]
        return np.array(out, np.uint64)

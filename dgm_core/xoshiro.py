"""The seeded generator the browser's tabular trainer draws from (static/js/tabular/rng.js), in Python: xoshiro128**
(Blackman & Vigna, "Scrambled Linear Pseudorandom Number Generators", ACM TOMS 2021, arXiv 1805.01407) seeded by
splitmix32. The browser and ``dgm_core`` draw the same numbers from the same seed, so a training in the visitor's
browser can be replayed here step for step (``dgm_core.tabular.fit(..., draws=Xoshiro(seed))``) and the parity test
can compare the two on the same batches and noise.

uniform(n): float32 in [0, 1) with 24 bits; uniform64(n): float64 in [0, 1) with 53 bits; normal(n): Box-Muller on
pairs of 24-bit uniforms, computed in float64 and stored as float32 (an odd n spends a whole pair on its last value).
Pure Python: about a million draws a second, enough for a replay and for tests, not a bulk generator.
"""
from __future__ import annotations

import math

import numpy as np

M32 = 0xFFFFFFFF


def _rotl(v: int, k: int) -> int:
    return ((v << k) | (v >> (32 - k))) & M32


class Xoshiro:
    """xoshiro128** seeded by four splitmix32 outputs of ``seed`` (taken mod 2^32), as rng.js's ``seeded``."""

    def __init__(self, seed: int) -> None:
        x = int(seed) & M32
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x21F0AAAD) & M32
            z = ((z ^ (z >> 15)) * 0x735A2D97) & M32
            state.append((z ^ (z >> 15)) & M32)
        self.s = state

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

    def _u24(self) -> float:
        return (self.next() >> 8) / 16777216.0

    def uniform(self, n: int) -> np.ndarray:
        return np.array([self._u24() for _ in range(n)], np.float32)

    def uniform64(self, n: int) -> np.ndarray:
        return np.array([((self.next() >> 5) * 67108864 + (self.next() >> 6)) / 9007199254740992.0
                         for _ in range(n)], np.float64)

    def normal(self, n: int) -> np.ndarray:
        out = np.empty(n, np.float64)
        for i in range(0, n, 2):
            r = math.sqrt(-2.0 * math.log(1.0 - self._u24()))
            t = 2.0 * math.pi * self._u24()
            out[i] = r * math.cos(t)
            if i + 1 < n:
                out[i + 1] = r * math.sin(t)
        return out.astype(np.float32)

    def rows(self, n: int, size: int) -> np.ndarray:
        """``size`` row indices drawn uniformly from range(n), with replacement: floor(u * n), u from uniform64."""
        return np.minimum(np.floor(self.uniform64(size) * n).astype(np.int64), n - 1)

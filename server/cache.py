"""A bounded result cache shared by every session of the server: least recently used entries go first once there
are more than ``max_entries`` or their arrays hold more than ``max_bytes``. Values are shared, so never mutated.
"""
from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class Entry:
    value: Any
    seconds: float  # how long computing it took on this server
    computed_at: float  # time.time() when it was stored
    nbytes: int
    owner: str | None = None  # who asked for it first (ui: a session and button; "warm-up")


def nbytes(obj: Any, _seen: set[int] | None = None) -> int:
    """An estimate of the memory ``obj`` holds: tensors' and arrays' buffers, strings and bytes, through
    dataclasses, dicts, lists, tuples and sets (each object counted once); modules by their parameters."""
    seen = set() if _seen is None else _seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return obj.element_size() * obj.nelement()
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, (str, bytes)):
        return sys.getsizeof(obj)
    if isinstance(obj, torch.nn.Module):
        return sum(nbytes(t, seen) for t in (*obj.parameters(), *obj.buffers()))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return 64 + sum(nbytes(getattr(obj, f.name), seen) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return 64 + sum(nbytes(k, seen) + nbytes(v, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return 64 + sum(nbytes(v, seen) for v in obj)
    return sys.getsizeof(obj)


class ResultCache:
    """key -> Entry, bounded in entries and bytes; thread-safe."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 256 * 2**20):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, value: Any, seconds: float, owner: str | None = None) -> Entry:
        """Store and return the entry; a value larger than the whole budget is returned but not kept."""
        entry = Entry(value, seconds, time.time(), nbytes(value), owner)
        with self._lock:
            if (old := self._entries.pop(key, None)) is not None:
                self._bytes -= old.nbytes
            if entry.nbytes > self.max_bytes:
                return entry
            self._entries[key] = entry
            self._bytes += entry.nbytes
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._bytes -= self._entries.popitem(last=False)[1].nbytes
        return entry

    def nbytes_held(self) -> int:
        return self._bytes

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

"""A bounded result cache shared by every session of the server: least recently used entries go first once there
are more than ``max_entries`` or their arrays hold more than ``max_bytes``. Values are shared, so never mutated.

The class's results stay: an entry stored or asked for ``pinned`` (the warm-up's, a lesson's views: the same for every
student) is never pushed out by a session's own results; pinned entries take at most ``PINNED_SHARE`` of the cache,
the oldest of them going first past it. A session's own results (its owner "<session>:<button>") take at most
``SESSION_SHARE`` of it: past that share a new one pushes out that session's own oldest, never another's, so seventy
Runs of one student leave the lesson's results and the other students' where they were.
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
    pinned: bool = False  # the class's (the warm-up's, a lesson's view): never evicted by a session's own results


PINNED_SHARE = 0.5  # of the entries and the bytes: the lesson's views (a shipped deck's take about 20 entries)
SESSION_SHARE = 0.125  # of the entries and the bytes, for one session's own results (8 of 64 entries)


def session(owner: str | None) -> str | None:
    """The session an entry's owner names ("<session>:<button>"), None for none."""
    return None if owner is None else owner.split(":")[0]


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
    """key -> Entry, bounded in entries and bytes, pinned entries and each session's own in their shares;
    thread-safe."""

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

    def pin(self, key: str) -> None:
        """The entry of ``key``, if held, is the class's from now on (a lesson's view asked for a student's result)."""
        with self._lock:
            if (entry := self._entries.get(key)) is not None and not entry.pinned:
                self._entries[key] = dataclasses.replace(entry, pinned=True)
                self._shrink(lambda e: e.pinned, PINNED_SHARE)

    def put(self, key: str, value: Any, seconds: float, owner: str | None = None, pinned: bool = False) -> Entry:
        """Store and return the entry; a value larger than its share of the budget is returned but not kept."""
        entry = Entry(value, seconds, time.time(), nbytes(value), owner, pinned)
        mine = session(owner)
        same = (lambda e: e.pinned) if pinned else (lambda e: not e.pinned and session(e.owner) == mine)
        share = PINNED_SHARE if pinned else SESSION_SHARE if mine is not None else 1.0
        with self._lock:
            if (old := self._entries.pop(key, None)) is not None:
                self._bytes -= old.nbytes
                entry = dataclasses.replace(entry, pinned=pinned or old.pinned)
            if entry.nbytes > self.max_bytes * share:
                return entry
            self._entries[key] = entry
            self._bytes += entry.nbytes
            self._shrink(same, share)  # its own kind's share first: the session's oldest, or the oldest pinned
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                victim = next((k for k, e in self._entries.items() if not e.pinned), None)
                if victim is None:  # only pinned entries left over the budget (a share above 1 would do it)
                    victim = next(iter(self._entries))
                self._bytes -= self._entries.pop(victim).nbytes
        return entry

    def _shrink(self, which, share: float) -> None:
        """Evict the oldest entries ``which`` holds true of while they are more than ``share`` of the budget."""
        held = [(k, e.nbytes) for k, e in self._entries.items() if which(e)]
        count, size = len(held), sum(n for _, n in held)
        for k, n in held:
            if count <= self.max_entries * share and size <= self.max_bytes * share:
                break
            del self._entries[k]
            self._bytes -= n
            count, size = count - 1, size - n

    def nbytes_held(self) -> int:
        return self._bytes

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

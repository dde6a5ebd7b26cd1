"""A stable key for a computation's inputs: the same inputs built separately give the same key, in any process;
any input that differs gives another. Tensors and arrays count by their bytes, shape and dtype; dataclasses by their
type and fields; anything else raises TypeError (never a key from ``id()``, which would silently miss or collide).
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
from typing import Any

import numpy as np
import torch


def key_of(*parts: Any) -> str:
    """sha256 hex digest of ``parts`` (None, bool, int, float, str, bytes, tensors, arrays, dataclasses, enums,
    torch devices and dtypes, and lists, tuples, sets and dicts of them)."""
    h = hashlib.sha256()
    _feed(h, parts)
    return h.hexdigest()


def _tag(h, *words: object) -> None:
    h.update(("|".join(map(str, words)) + ";").encode())


def _feed(h, obj: Any) -> None:
    if isinstance(obj, np.generic):  # a numpy scalar keys as the Python number it holds
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        _tag(h, type(obj).__name__, repr(obj))  # the type too: 1, 1.0 and True are different settings
    elif isinstance(obj, bytes):
        _tag(h, "bytes", len(obj))
        h.update(obj)
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        _tag(h, "tensor", t.dtype, tuple(t.shape))
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError("An object array has no stable key.")
        a = np.ascontiguousarray(obj)
        _tag(h, "array", a.dtype.str, a.shape)
        h.update(a.tobytes())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        _tag(h, "dataclass", type(obj).__module__, type(obj).__qualname__)
        for f in dataclasses.fields(obj):
            _tag(h, f.name)
            _feed(h, getattr(obj, f.name))
    elif isinstance(obj, enum.Enum):
        _tag(h, "enum", type(obj).__qualname__, obj.name)
    elif isinstance(obj, (torch.device, torch.dtype)):
        _tag(h, type(obj).__name__, obj)
    elif isinstance(obj, (list, tuple)):
        _tag(h, type(obj).__name__, len(obj))
        for v in obj:
            _feed(h, v)
    elif isinstance(obj, (set, frozenset)):
        _tag(h, "set", len(obj))
        for k in sorted(key_of(v) for v in obj):
            _tag(h, k)
    elif isinstance(obj, dict):
        _tag(h, "dict", len(obj))
        for k, v in sorted(((key_of(k), v) for k, v in obj.items()), key=lambda kv: kv[0]):  # order does not matter
            _tag(h, k)
            _feed(h, v)
    else:
        raise TypeError(f"No stable key for a {type(obj).__name__}.")

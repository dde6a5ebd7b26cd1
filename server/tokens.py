"""A phone's token, given by the server when the phone joins a room: a random name and its HMAC-SHA256 under the
server's secret, bound to the room, so a token a script makes up (or one of another room) is refused without a look-up.

The secret is 32 random bytes in ``<the poll's folder>/server.key`` (mode 0600), made on first use: every replica of
one host reads the same file, and a restarted server still accepts the tokens it gave. Deleting the file voids every
token (the phones join again on their next answer).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

NAME_CHARS = 16  # the random part: 12 bytes, url-safe base64
SIG_CHARS = 22  # the signature: 16 bytes of the HMAC, url-safe base64


def server_secret(folder: Path) -> bytes:
    """The secret in ``folder/server.key``, made (atomically: two processes starting at once agree) on first use."""
    path = folder / "server.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    tmp = folder / f".server.key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)  # fails where another process made it first: then its secret is the one
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


def _sig(secret: bytes, room: str, name: str) -> str:
    mac = hmac.new(secret, f"{room}:{name}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(secret: bytes, room: str, name: str) -> str:
    """The token of the phone ``name`` (``NAME_CHARS`` url-safe characters) in ``room``: its name and signature."""
    return name + _sig(secret, room, name)


def make(secret: bytes, room: str) -> str:
    """A new phone's token for ``room``: a random name and its signature, 38 url-safe characters."""
    return sign(secret, room, secrets.token_urlsafe(12))


def name_of(secret: bytes, room: str, token: str) -> str | None:
    """The phone's name where ``token`` is one this server gave for ``room``, else None."""
    if len(token) != NAME_CHARS + SIG_CHARS:
        return None
    name, sig = token[:NAME_CHARS], token[NAME_CHARS:]
    return name if hmac.compare_digest(sig, _sig(secret, room, name)) else None

"""``python -m server manifest``: write static/js/manifest.json, the facts and module hashes the browser reads
(``server.manifest``). ``python -m dgm_core manifest`` and ``export`` run this in a process of its own."""
from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv != ["manifest"]:
        print("usage: python -m server manifest", file=sys.stderr)
        return 2
    from . import manifest as mf
    try:
        print(f"wrote {mf.write().relative_to(mf.ROOT)}")
    except ValueError as err:  # a module importing a missing file, or itself
        print(err, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

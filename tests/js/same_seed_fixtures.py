"""Fixtures for tests/js/tabular/same_seed.test.mjs: a small holed table filled by the server's own ordinary run
(``dgm_core.own_table.complete``, MIWAE and the self-masking not-MIWAE, the 'tiny' budget, seed 5) and the job a
visitor's browser gets for the same table and settings (``server.own_table_job``): the test trains the browser's
fill.js on the job and holds its fills to the server's. The server's fills are written as the browser answers them:
standardised, at the holes in row-major order (the draws: M planes of them).
``python -m tests.js.same_seed_fixtures OUT_DIR``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from dgm_core import own_table, tabular
from server import own_table_job as browser

SETTINGS = own_table.Settings(family="notmiwae", preset="tiny", seed=5, draws=3)


def table() -> np.ndarray:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 3)) @ np.array([[1, 0.7, 0.2], [0, 1, 0.5], [0, 0, 1.0]]) + [20, 50, 3]
    x[x[:, 1] > 51.2, 1] = np.nan  # high values of the second column go missing
    x[[2, 7], [0, 2]] = np.nan
    return x


def main(folder: Path) -> None:
    x = table()
    done = own_table.complete(x, ("a", "b", "c"), SETTINGS)
    mask = np.isfinite(x)
    std = tabular.Standardiser.fit(np.where(mask, x, 0.0), mask)
    holes = ~mask
    server = {}
    for m in ("miwae", SETTINGS.family):
        f = done.fills[m]
        server[m] = {"mean": std.forward(f.table)[holes].tolist(),
                     "draws": np.concatenate([std.forward(f.draws[:, i])[holes] for i in range(SETTINGS.draws)]
                                             ).tolist()}
    wire = browser.job(x, SETTINGS).wire()
    (folder / "same_seed.json").write_text(json.dumps({"job": wire, "server": server}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

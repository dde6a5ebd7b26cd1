"""A researcher's weather table with holes of a known mechanism, for the own-table tests: 150 days x 5 columns,
humidity hidden mostly above 68 % (self-masking, high values go missing) plus 8 blanks at random elsewhere."""
from __future__ import annotations

import numpy as np

COLUMNS = ("temperature", "humidity", "pressure", "wind", "rain")


def complete_weather(n: int = 150, seed: int = 0) -> np.ndarray:
    """(n, 5) complete: humidity falls with temperature and pressure, rain grows with humidity."""
    rng = np.random.default_rng(seed)
    temp = rng.normal(18, 6, n)
    pressure = rng.normal(1013, 8, n)
    humidity = np.clip(95 - 1.4 * (temp - 18) - 0.8 * (pressure - 1013) + rng.normal(-30, 9, n), 15, 100)
    wind = np.abs(rng.normal(12, 5, n)) + 0.05 * (1013 - pressure)
    rain = np.maximum(0.0, 0.12 * (humidity - 55) + rng.normal(0, 1.5, n))
    return np.column_stack([temp, humidity, pressure, wind, rain])


def holed_weather(n: int = 150, seed: int = 0, cut: float = 68.0, blanks: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(complete, holed): humidity missing with P = 0.9 above ``cut`` and 0.03 below; ``blanks`` more cells of the
    other columns emptied at random."""
    x = complete_weather(n, seed)
    rng = np.random.default_rng(seed + 1)
    holed = x.copy()
    p = np.where(x[:, 1] > cut, 0.9, 0.03)
    holed[rng.random(n) < p, 1] = np.nan
    cells = rng.choice([(i, j) for i in range(n) for j in (0, 2, 3, 4)], blanks, replace=False)
    for i, j in cells:
        holed[i, j] = np.nan
    return x, holed


def csv_bytes(holed: np.ndarray, columns=COLUMNS) -> bytes:
    lines = [",".join(columns)]
    lines += [",".join("" if np.isnan(v) else f"{v:.6g}" for v in row) for row in holed]
    return ("\n".join(lines) + "\n").encode()

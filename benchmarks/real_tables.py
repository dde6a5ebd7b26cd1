"""Tables as researchers publish them, generated here (no downloaded data): penguins-like (species, island and sex as
text, 'NA' for missing, body mass by species) and cars-like (a name per row, a date column, '?' for missing, an origin
as text, a 0/1 column)."""
from __future__ import annotations

import numpy as np

SPECIES = {"Adelie": (38.8, 18.3, 190, 3700), "Chinstrap": (48.8, 18.4, 196, 3730), "Gentoo": (47.5, 15.0, 217, 5076)}
ISLANDS = {"Adelie": ("Torgersen", "Biscoe", "Dream"), "Chinstrap": ("Dream",), "Gentoo": ("Biscoe",)}


def penguins(n: int = 240, seed: int = 0) -> tuple[bytes, dict]:
    """(the CSV, the truth: 'species' (n,) and 'mass' (n,) complete). Body mass hidden on 12 % of rows, sex on 5 %,
    a bill on 3 %, as 'NA'."""
    rng = np.random.default_rng(seed)
    species = rng.choice(list(SPECIES), n, p=[0.44, 0.2, 0.36])
    rows, mass = [], []
    for i, s in enumerate(species):
        bl, bd, fl, bm = SPECIES[s]
        sex = rng.choice(["male", "female"])
        m = bm + (250 if sex == "male" else -250) + rng.normal(0, 200)
        cells = [str(i + 1), s, rng.choice(ISLANDS[s]), f"{bl + rng.normal(0, 2.5):.1f}",
                 f"{bd + rng.normal(0, 1):.1f}", f"{fl + rng.normal(0, 6):.0f}", f"{m:.0f}",
                 sex, str(rng.choice([2007, 2008, 2009]))]
        mass.append(float(cells[6]))
        if rng.random() < 0.12:
            cells[6] = "NA"
        if rng.random() < 0.05:
            cells[7] = "NA"
        if rng.random() < 0.03:
            cells[3] = "NA"
        rows.append(",".join(cells))
    head = "rowid,species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year"
    return ("\n".join([head, *rows]) + "\n").encode(), {"species": species, "mass": np.array(mass)}


def cars(n: int = 200, seed: int = 1) -> bytes:
    """A name per row, Miles_per_Gallon with '?' holes, a date column, an origin as text, a 0/1 'turbo' with
    holes."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        cyl = int(rng.choice([4, 6, 8]))
        weight = 1500 + 400 * cyl + rng.normal(0, 300)
        hp = 20 + 14 * cyl + rng.normal(0, 10)
        mpg = 50 - 0.006 * weight + rng.normal(0, 2)
        turbo = int(hp > 120 and rng.random() < 0.7)
        cells = [f"car model {i}", "?" if rng.random() < 0.08 else f"{mpg:.1f}", str(cyl), f"{hp:.0f}",
                 f"{weight:.0f}", f"19{70 + i % 12}-01-01", str(rng.choice(["USA", "Europe", "Japan"])),
                 "" if rng.random() < 0.1 else str(turbo)]
        rows.append(",".join(cells))
    head = "Name,Miles_per_Gallon,Cylinders,Horsepower,Weight_in_lbs,Year,Origin,turbo"
    return ("\n".join([head, *rows]) + "\n").encode()

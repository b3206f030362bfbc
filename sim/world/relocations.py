"""Relocations: a researcher's city changing at a dated month while they stay at their lab.

The optional ``relocations.csv`` of a world folder has one row per move of city::

    name,month,city,source,certainty,notes
    A. Researcher,2024-03,London,press,S,"moved to the London office"

``name`` is a cohort member, ``month`` a month after the world's start (``YYYY-MM``), ``city`` the
new city (a lab's ``*`` still matches any city). From that month on, the researcher's home term
(``b_home * H_ij``, :mod:`sim.kernel.behavior`) is their new city's, in both engines and in the
likelihood; their lab does not change. Rows of one researcher apply in month order; two in one
month are an error. :func:`home_row` is the one definition of the home indicator, for the start
cities and the new ones alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.errors import InputError
from sim.world.checks import month_index


@dataclass(frozen=True)
class Relocation:
    """Researcher ``name`` lives in ``city`` from ``month`` on."""

    name: str
    month: str
    city: str
    key: str = field(default="", compare=False)  # where it was declared, e.g. "row 2"


def home_row(city: str, lab_cities: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """H_ij over the labs j for a researcher in ``city``: 1 where a lab is there or everywhere.

    A blank (unknown) city is home everywhere, so it biases no choice.
    """
    return np.array([float(not city or "*" in c or city in c) for c in lab_cities])


def check_relocations(relocations, researchers, calendar, source: str) -> None:
    """Every row names a cohort member, a month after the start, a city; one per month each.

    Raises:
        InputError: naming ``relocations.csv``, the row and the column.
    """
    where = f"{source}/relocations.csv"
    people = set(researchers)
    seen: dict[tuple[str, str], str] = {}
    for k, r in enumerate(relocations):
        key = r.key or f"row {k + 2}"
        if r.name not in people:
            raise InputError(
                f"{r.name!r} is not in the cohort (cohort.csv names: {', '.join(researchers)})",
                source=where, key=f"{key}, column name",
            )  # fmt: skip
        if month_index(r.month, calendar, where, f"{key}, column month") == 0:
            raise InputError(
                f"a relocation in the start month {r.month} is the researcher's city: give it "
                "in cohort.csv", source=where, key=f"{key}, column month",
            )  # fmt: skip
        if not r.city.strip():
            raise InputError("expected the new city, got a blank", source=where,
                             key=f"{key}, column city")  # fmt: skip
        if (r.name, r.month) in seen:
            raise InputError(
                f"{r.name!r} relocates twice in {r.month} (also {seen[r.name, r.month]}): give "
                "one city per month", source=where, key=key,
            )  # fmt: skip
        seen[r.name, r.month] = key


def compile_relocations(relocations, researchers, lab_cities, calendar, n_months: int):
    """The relocations within ``n_months`` as arrays, in month order (stable).

    Returns:
        (months int64 [K], researchers int64 [K], home rows float64 [K, L]).
    """
    row = {name: i for i, name in enumerate(researchers)}
    kept = sorted(
        (calendar.index(r.month), k, r) for k, r in enumerate(relocations)
        if calendar.index(r.month) < n_months
    )  # fmt: skip
    months = np.array([t for t, _, _ in kept], dtype=np.int64)
    who = np.array([row[r.name] for _, _, r in kept], dtype=np.int64)
    homes = np.zeros((len(kept), len(lab_cities)))
    for k, (_, _, r) in enumerate(kept):
        homes[k] = home_row(r.city, lab_cities)
    return months, who, homes

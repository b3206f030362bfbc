"""The observed history of the cohort, from ``calibration/observed.csv``.

One row per author: the interval of the month they left the start lab (``left_earliest`` ..
``left_latest``; both blank for those still there at the end of the window), and the lab they
were at in 2025-05. Uncertain months stay intervals: the observed retention curve is a band
between the earliest and the latest reading, never invented precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.timeline import OBSERVED_END, month_in_window, parse_month

if TYPE_CHECKING:
    from sim.scenario import Scenario

DEFAULT_OBSERVED = Path(__file__).resolve().parent.parent / "calibration" / "observed.csv"


@dataclass(frozen=True)
class Observed:
    """Exit-month intervals and destinations of the cohort (month indices from 2023-02)."""

    names: tuple[str, ...]
    left_earliest: np.ndarray  # int [N], -1 where the researcher stayed
    left_latest: np.ndarray  # int [N], -1 where the researcher stayed
    destination: tuple[str, ...]

    def remaining_bounds(self, n_months: int) -> tuple[np.ndarray, np.ndarray]:
        """Fewest and most researchers still at the start lab after each month [T]."""
        t = np.arange(n_months)[:, None]
        stayed = self.left_earliest < 0
        low = (stayed | (t < self.left_earliest)).sum(axis=1)  # everyone leaves as early as can be
        high = (stayed | (t < self.left_latest)).sum(axis=1)
        return low, high

    def count_at(self, lab: str) -> int:
        """How many were at ``lab`` at the end of the observed window."""
        return sum(d == lab for d in self.destination)


def load_observed(
    path: str | Path = DEFAULT_OBSERVED, labs: tuple[str, ...] | None = None
) -> Observed:
    """Load observed.csv; destinations must be labs of the world when ``labs`` is given."""
    path = Path(path)
    if not path.exists():
        raise InputError("missing observed history file", source=str(path))
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ("name", "left_earliest", "left_latest", "destination")
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {list(need)}", source=str(path))
    early, late = [], []
    end = parse_month(OBSERVED_END)
    for row, rec in enumerate(table.itertuples(index=False), start=2):
        if labs is not None and rec.destination not in labs:
            raise InputError(
                f"destination {rec.destination!r} is not a lab of the world ({', '.join(labs)})",
                source=str(path),
                key=f"row {row}, column destination",
            )
        if bool(rec.left_earliest) != bool(rec.left_latest):
            raise InputError(
                "give both left_earliest and left_latest, or neither (stayed)",
                source=str(path),
                key=f"row {row}",
            )
        if not rec.left_earliest:
            early.append(-1)
            late.append(-1)
            continue
        try:
            a, b = month_in_window(rec.left_earliest), month_in_window(rec.left_latest)
        except ValueError as exc:
            raise InputError(str(exc), source=str(path), key=f"row {row}") from None
        if not a <= b <= end:
            raise InputError(
                f"expected left_earliest <= left_latest <= {OBSERVED_END}",
                source=str(path),
                key=f"row {row}",
            )
        early.append(a)
        late.append(b)
    return Observed(
        names=tuple(table["name"]),
        left_earliest=np.array(early),
        left_latest=np.array(late),
        destination=tuple(table["destination"]),
    )


def observed_for(scenario: Scenario) -> Observed | None:
    """The observed history where the scenario's world is the default cohort, else None.

    For the figures' overlay: a missing or unreadable ``observed.csv`` only drops the observed
    line, so it gives None too (the calibration, which needs the file, calls
    :func:`load_observed`).
    """
    if scenario.world.name != "llama":
        return None
    try:
        return load_observed(labs=None)
    except (InputError, OSError, ValueError):
        return None

"""The prior set of a calibration: the declared priors, overridden by a priors file.

Both calibrations take it (``sim calibrate --priors FILE``, ABC-SMC and the likelihood alike),
and a joint calibration also reads the file's per-cohort tables (``"k0[llama]"``). Each table may
cite its publication (``source``) and the arithmetic from its figure to the prior (``why``): the
literature priors of ``calibration/priors-literature.toml`` (docs/priors-literature.md) are
justified that way.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from sim.config.params import PARAMETER_SPACE, parameter, prior_space
from sim.errors import InputError, suggest
from sim.kernel.behavior import PARAMETER_NAMES
from sim.world import read_toml


def load_priors(path: str | Path | None, *, joint: bool = False, founding: bool = False) -> tuple:
    """The declared priors, with the overrides of a TOML file (one table per parameter).

    Each table may set ``mean``, ``sd`` (a number, or ``"inf"`` for a uniform prior), ``low`` and
    ``high``; bounds may narrow the declared ones (the engines' valid range) but not widen them.
    The texts ``source`` (the publication) and ``why`` (the arithmetic from its figure to the
    prior) document a table; they become the parameter's justification. A table named
    ``"k0[llama]"`` sets one cohort's prior of a per-cohort parameter: only in a joint
    calibration (``joint``; read by :func:`load_cohort_priors`), an error otherwise. The founding
    parameters are held at their prior means unless ``founding`` (a calibration on a world where
    founding is a choice: :func:`sim.config.params.prior_space`).
    """
    if path is None:
        return prior_space(founding)
    path = Path(path)
    raw = read_toml(path)
    space = {p.name: p for p in PARAMETER_SPACE}
    for name, table in raw.items():
        if "[" in name:
            if not joint:
                raise InputError(
                    "a prior for one cohort applies only to a joint calibration (--worlds)",
                    source=str(path), key=name,
                )  # fmt: skip
            continue
        space[name] = _overridden(parameter(name, source=str(path)), table, path, name)
    return prior_space(founding, tuple(space[n] for n in PARAMETER_NAMES))


def load_cohort_priors(
    path: str | Path | None, priors: tuple, cohorts: list[str], per_cohort: tuple[str, ...]
) -> tuple:
    """The per-cohort prior tables (``"k0[llama]"``) of a priors file, as column priors.

    Raises:
        InputError: naming the file and table: an unknown parameter, one not calibrated per
            cohort, or a cohort that is not in the calibration.
    """
    if path is None:
        return ()
    path = Path(path)
    by_name = {p.name: p for p in priors}
    out = []
    for name, table in read_toml(path).items():
        if "[" not in name:
            continue
        base, _, rest = name.partition("[")
        cohort = rest.rstrip("]")
        declared = parameter(base, source=str(path), key=name)
        if base not in per_cohort:
            raise InputError(
                f"{base} is not calibrated per cohort here (per cohort: "
                f"{', '.join(per_cohort) or 'none'}; see --per-cohort)",
                source=str(path), key=name,
            )  # fmt: skip
        if cohort not in cohorts:
            raise InputError(
                f"unknown cohort {cohort!r}{suggest(cohort, cohorts)}; the cohorts of this "
                f"calibration: {', '.join(cohorts)}",
                source=str(path), key=name,
            )  # fmt: skip
        changed = _overridden(by_name.get(base, declared), table, path, name)
        out.append(dataclasses.replace(changed, name=f"{base}[{cohort}]"))
    return tuple(out)


def _overridden(declared, table, path: Path, name: str):
    """A declared parameter with a priors-file table's overrides, checked."""
    if not isinstance(table, dict):
        raise InputError("expected a table of mean, sd, low, high", source=str(path), key=name)
    unknown = set(table) - {"mean", "sd", "low", "high", "source", "why"}
    if unknown:
        raise InputError(
            f"unknown key(s) {sorted(unknown)}; expected mean, sd, low, high "
            "(and the texts source, why)",
            source=str(path), key=name,
        )  # fmt: skip
    for key in ("source", "why"):
        if key in table and not isinstance(table[key], str):
            raise InputError("expected a text", source=str(path), key=f"{name}.{key}")
    values = {}
    for key, value in table.items():
        if key in ("source", "why"):
            continue
        try:
            values[key] = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"expected a number, got {value!r}", source=str(path), key=f"{name}.{key}"
            ) from None
        uniform = key == "sd" and values[key] == math.inf  # "inf": a uniform prior
        if not (math.isfinite(values[key]) or uniform):
            also = ', or "inf" for a uniform prior' if key == "sd" else ""
            raise InputError(
                f"expected a finite number{also}, got {value!r}",
                source=str(path), key=f"{name}.{key}",
            )  # fmt: skip
    if "source" in table or "why" in table:
        values["why"] = "; ".join(table[k] for k in ("source", "why") if k in table)
    changed = dataclasses.replace(declared, **values)
    if not changed.low < changed.high:
        raise InputError(
            f"inverted bounds: low {changed.low:g} must be below high {changed.high:g}",
            source=str(path), key=name,
        )  # fmt: skip
    if changed.low < declared.low or changed.high > declared.high:
        raise InputError(
            f"bounds [{changed.low:g}, {changed.high:g}] exceed the declared range "
            f"[{declared.low:g}, {declared.high:g}] in which the model is defined",
            source=str(path), key=name,
        )  # fmt: skip
    if not changed.sd > 0:
        raise InputError("sd must be > 0", source=str(path), key=f"{name}.sd")
    return changed

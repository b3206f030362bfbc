"""Reading a user's TOML files and validating them with pydantic, errors naming file and key.

Used by the world's own files (``world.toml``, its statistics) and by every file above them
(scenarios, priors, targets, sweeps, cause groups): one reader, one way to turn pydantic's
error into an :class:`~sim.errors.InputError` that names the file, the key and the fix.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import InputError, suggest


class StrictModel(BaseModel):
    """A pydantic model of a user's file: unknown keys are errors (with a suggestion)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def read_toml(path: Path) -> dict:
    """The content of a TOML file; a missing file or a syntax error is an InputError naming it."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise InputError("no such file", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}): save the "
            "file as UTF-8", source=str(path),
        ) from None  # fmt: skip
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", source=str(path)) from None


def explain_validation_error(
    exc: ValidationError, path: Path | str, model: type[BaseModel]
) -> InputError:
    """One InputError for a user's file that failed validation: the file, the key, the fix.

    Args:
        exc: pydantic's error; its first error is explained.
        path: the file that was validated.
        model: the model the file was validated against; an unknown key suggests the nearest
            key known at its place in this model.
    """
    err = exc.errors()[0]
    loc = ".".join(str(part) for part in err["loc"])
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        model = _model_at(model, err["loc"][:-1])
        known = list(model.model_fields) if model else []
        message = (
            f"unknown key{suggest(err['loc'][-1], known)}; known keys here: {', '.join(known)}"
        )
    elif err["type"] == "value_error":
        message = str(err.get("ctx", {}).get("error", message))
    return InputError(message, source=str(path), key=loc or None)


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model found at ``loc`` below ``root``, following fields that are models."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        model = next(
            (a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)),
            None,
        )
        if model is None:
            return None
    return model


def read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """A user's CSV file as text cells, stripped; its header checked first.

    Raises:
        InputError: naming the file: unreadable, a column named twice in the header (pandas
            would silently rename the second and read only the first), or a required column
            missing.
    """
    source = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            header = [name.strip() for name in next(csv.reader(handle), [])]
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # pandas and csv raise several types for an unreadable file
        raise InputError(f"not a readable CSV file ({exc})", source=source) from exc
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise InputError(
            f"column(s) {twice} appear more than once in the header; keep one of each",
            source=source, key="header",
        )  # fmt: skip
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected at least {list(required)}", source=source
        )
    return table.apply(lambda col: col.str.strip())

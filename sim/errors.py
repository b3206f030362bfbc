"""The one error type for a user's bad input: raised at the boundary, saying how to fix it."""

from __future__ import annotations

import difflib


class InputError(ValueError):
    """A user's file, scenario, parameter or option is wrong.

    The message names the file (where there is one), the key or row and column, and what was
    expected. The command line prints it as one paragraph and exits with status 2.
    """

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        where = ", ".join(part for part in (source, key and f"at {key}") if part)
        super().__init__(f"{where}: {message}" if where else message)


def suggest(word: str, choices) -> str:
    """'' or ' (did you mean X?)' for the nearest known choice."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""

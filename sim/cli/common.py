"""What every command's parser shares: the help layout and the argument types."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples (each option's help gives its default)."""


def add_command(sub, name: str, summary: str, description: str, examples: list[str]):
    """A subcommand with a one-line summary, a description and examples in its epilog."""
    return sub.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
        formatter_class=HelpFormatter,
    )  # fmt: skip


def positive_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 1 (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 0 (a usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def output_folder(text: str) -> str:
    """An argparse ``type`` for ``--out``: a folder name that is not blank (a usage error).

    A blank name would otherwise fall back to the default folder silently.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder name, got an empty one")
    return text


#: The output-folder policy in one line, for every command's ``--out`` help.
OUT_POLICY = "an earlier result of this library there is replaced; other files are kept"

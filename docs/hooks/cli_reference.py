"""MkDocs hook: the command-line reference page, generated from the parser at build time.

``reference/cli.md`` is not a file in the repository: on every build it is written from
``sim.cli.build_parser()``, the main parser's ``format_help()`` and each subcommand's, so the page
can never drift from ``sim COMMAND --help``. Subcommands registered later (``sim explain``,
``sim app``) appear as soon as ``sim.cli`` registers them.
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager

#: Where the page goes in the site (the nav in mkdocs.yml names it).
PAGE = "reference/cli.md"
#: Width of the help text (argparse reads COLUMNS): fixed so the page does not depend on the
#: terminal of whoever builds the site.
COLUMNS = "100"


@contextmanager
def _columns(width: str):
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = width
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line summary, parser) of each subcommand, in the order ``sim --help`` lists."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {a.dest: a.help or "" for a in action._choices_actions}
            return [(name, summaries.get(name, ""), sub) for name, sub in action.choices.items()]
    return []


def render() -> str:
    """The Markdown of the command-line reference page."""
    from sim.cli import build_parser

    with _columns(COLUMNS):
        parser = build_parser()
        commands = subcommands(parser)
        lines = [
            "# Command line",
            "",
            "Generated at build time from the `sim` command's own parser "
            "(`sim.cli.build_parser()`): each section is exactly what `sim COMMAND --help` "
            "prints. Bad input exits with status 2 and one paragraph naming the file, the key "
            "and what was expected.",
            "",
            "| command | what it does |",
            "|---|---|",
            *(f"| [`sim {name}`](#sim-{name}) | {summary} |" for name, summary, _ in commands),
            "",
            "## sim",
            "",
            "```text",
            parser.format_help().rstrip(),
            "```",
            "",
        ]
        for name, summary, sub in commands:
            lines += [
                f"## sim {name}",
                "",
                f"{summary[:1].upper()}{summary[1:]}.",
                "",
                "```text",
                sub.format_help().rstrip(),
                "```",
                "",
            ]
    return "\n".join(lines)


def on_files(files, config):
    """Add the generated page to the site's files (before the nav is built)."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=render()))
    return files

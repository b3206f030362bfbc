"""Every command and option of ``sim`` is documented: help text, a default, examples, no markup."""

import argparse
import re

import pytest

from sim.cli import build_parser


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, sub.choices


def test_every_option_of_every_command_has_help_text():
    _, commands = _commands()
    missing = []
    for name, command in commands.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not (action.help or "").strip():
                missing.append(f"sim {name} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, f"options without help: {missing}"


def test_every_optional_value_names_its_default():
    _, commands = _commands()
    silent = []
    for name, command in commands.items():
        for action in command._actions:
            takes_value = action.option_strings and action.nargs != 0
            if takes_value and "default" not in (action.help or ""):
                silent.append(f"sim {name} {action.option_strings[0]}")
    assert not silent, f"options that do not say their default: {silent}"


@pytest.mark.parametrize("name", sorted(_commands()[1]))
def test_each_command_has_examples_and_no_markup(name):
    _, commands = _commands()
    text = commands[name].format_help()
    assert "examples:" in text and f"sim {name}" in text.split("examples:")[1]
    assert not re.search(r"``|:func:|:mod:|:class:", text), text


def test_the_top_level_help_has_no_markup():
    parser, _ = _commands()
    text = parser.format_help()
    assert "``" not in text and "examples:" in text

"""Griffe extension: Sphinx-style roles in docstrings become links in the API reference.

The package's docstrings cross-reference with Sphinx roles (``:func:`load_world```,
``:class:`~sim.results.Trajectories```, ``:mod:`sim.kernel.behavior```), which Markdown would print
literally. Each becomes an *optional* mkdocs-autorefs reference to the object's full path, resolved
in the scope of the docstring's object: a link where that object is documented on the site, plain
code where it is not (a private module, a third-party name), never a broken link.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj|const):`(~?)([\w.]+)(\(\))?`")


def _resolve(obj: griffe.Object, name: str) -> str:
    """The full path of ``name`` as seen from ``obj`` (the name itself where it cannot be found)."""
    if name.startswith("sim.") or name == "sim":
        return name
    head, _, rest = name.partition(".")
    try:
        path = obj.resolve(head)
    except (griffe.NameResolutionError, griffe.AliasResolutionError, KeyError):
        return name
    return f"{path}.{rest}" if rest else path


def _rewrite(obj: griffe.Object, text: str) -> str:
    def link(match: re.Match) -> str:
        tilde, name, call = match.group(1), match.group(2), match.group(3) or ""
        shown = (name.rsplit(".", 1)[-1] if tilde else name) + call
        target = _resolve(obj, name)
        return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'

    return ROLE.sub(link, text)


def _walk(obj: griffe.Object, seen: set[str]):
    if obj.path in seen:
        return
    seen.add(obj.path)
    yield obj
    for member in obj.members.values():
        if member.is_alias:
            continue
        yield from _walk(member, seen)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:  # noqa: D102
        for obj in _walk(pkg, set()):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = _rewrite(obj, obj.docstring.value)

    def on_package_loaded(self, *, pkg: griffe.Module, **kwargs) -> None:  # noqa: D102
        self.on_package(pkg=pkg)  # the name of this event before Griffe 1.x's last releases

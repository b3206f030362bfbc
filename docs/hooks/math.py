"""MkDocs hook: ```` ```math ```` blocks (as GitHub writes them, in docs/ODD.md) become MathML.

The LaTeX of each block is converted at build time by latex2mathml (pure Python) into a
``<math display="block">`` element, which browsers render natively (MathML Core): no MathJax, no
font or script fetched from a CDN, the equations readable offline. A block that cannot be
converted is a warning naming the page and the block's first line, so ``mkdocs build --strict``
fails on it.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("mkdocs.hooks.math")
BLOCK = re.compile(r"^```math[ \t]*\n(?P<tex>.*?)^```[ \t]*$", re.M | re.S)


def on_page_markdown(markdown, page, config, files):
    """Replace each math block of the page by its MathML."""
    if "```math" not in markdown:
        return markdown
    from latex2mathml.converter import convert

    def mathml(match: re.Match) -> str:
        tex = match.group("tex").strip()
        try:
            element = convert(tex, display="block")
        except Exception as exc:  # the converter raises many kinds; each is a bad block
            log.warning(
                "Doc file '%s': a math block cannot be converted to MathML (%s: %s); it begins "
                "'%s'", page.file.src_uri, type(exc).__name__, exc, tex.splitlines()[0][:60],
            )  # fmt: skip
            return match.group(0)
        return f'\n<div class="math-block">\n{element}\n</div>\n'

    return BLOCK.sub(mathml, markdown)

"""MkDocs hook: links between the notebook and the other pages, checked like any page's.

A notebook's HTML is made by nbconvert (mkdocs-jupyter), so MkDocs neither rewrites nor checks its
links. Here a relative link to a page (``how-to/scenario.md``, ``ODD.md#calibration``), written
as it works in Jupyter beside the other docs, is turned into that page's URL; a link to a page
that does not exist is a warning naming the notebook and the link, so ``mkdocs build --strict``
fails on it as on a broken link in a Markdown page.
"""

from __future__ import annotations

import logging
import posixpath
import re

log = logging.getLogger("mkdocs.hooks.notebook_links")
HREF = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|#|/)([^"#]+\.(?:md|ipynb))(#[^"]*)?"')


def on_page_content(html, page, config, files):
    """Rewrite (and check) the relative page links of a notebook's HTML."""
    if not page.file.src_uri.endswith(".ipynb"):
        return html

    def fix(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), target))
        found = files.get_file_from_path(path)
        if found is None:
            log.warning(
                "Doc file '%s' contains a link '%s', but the target '%s' is not found among "
                "documentation files.", page.file.src_uri, target + anchor, path,
            )  # fmt: skip
            return match.group(0)
        return f'href="{found.url_relative_to(page.file)}{anchor}"'

    return HREF.sub(fix, html)


#: mkdocs-jupyter's MathJax loader, put on every page: on a page with a notebook it fetches
#: MathJax from a CDN when the page is viewed.
MATHJAX_LOADER = re.compile(r"<script data-mkdocs-jupyter-mathjax=.*?</script>\n?", re.S)


def on_post_page(output, page, config):
    """Drop mkdocs-jupyter's MathJax loader where there is no notebook maths to typeset.

    A notebook's LaTeX comes out as ``class="arithmatex"`` regions; a page without them (every
    page, as long as the tutorial has no equations) then requests nothing from a CDN.
    """
    if 'class="arithmatex"' in output:
        return output
    return MATHJAX_LOADER.sub("", output)

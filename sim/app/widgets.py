"""Small pieces the page's modules share: text in an element the browser tests can find."""

from __future__ import annotations

import html

import solara


def text(words: str, cls: str, tag: str = "div", style: str = "") -> solara.Element:
    """Plain text in an element with a CSS class (the browser tests find it by the class)."""
    return solara.HTML(tag=tag, unsafe_innerHTML=html.escape(words), classes=[cls], style=style)

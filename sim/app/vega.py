"""A Vega-Lite chart on the page, drawn offline: :func:`VegaChart`.

Solara's own ``FigureAltair`` asks for ``vega@5/build/vega.min.js`` under ``/_solara/cdn/``, a
name that the offline copies of the ``solara-assets`` package do not carry (they are stored by
exact version), so without a content-delivery network it draws nothing. :func:`VegaChart` is the
same kind of component (a Vue template, ``vega_chart.vue``) that loads the exact versions
solara-assets ships (:data:`VEGA_FILES`): the page's JavaScript comes from the installed Python
packages only. Each chart is registered in the browser as ``window.simCharts[name]`` (its
Vega-Lite spec and its Vega view), which the browser tests read.
"""

from __future__ import annotations

import solara

#: The files under Solara's /_solara/cdn/ that draw a chart: the versions solara-assets 1.58.2
#: carries (tests/unit/test_app_charts.py checks they are installed).
VEGA_FILES = {
    "vega": "vega@5.21.0/build/vega.min.js",
    "vega-lite": "vega-lite@5.2.0/build/vega-lite.min.js",
    "vega-embed": "vega-embed@6.20.2/build/vega-embed.min.js",
    "requirejs": "requirejs@2.3.6/require.js",
}


@solara.component_vue("vega_chart.vue")
def _VegaChart(spec: dict, name: str, files: dict):
    pass


@solara.component
def VegaChart(spec: dict, name: str):
    """A Vega-Lite chart (a spec from :mod:`sim.app.charts`), registered as ``name``."""
    return _VegaChart(spec=spec, name=name, files=VEGA_FILES)

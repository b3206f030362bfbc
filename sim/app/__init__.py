"""``sim app``: an interactive page to explore scenarios, served on localhost by Solara.

The page (:mod:`sim.app.page`, built with Solara and Mesa's SolaraViz components) lets one
choose a world and one of its scenarios, move levers (an offset to any attribute of any lab from
a month, each event on or off, each lab present or removed, parameters fixed within their bounds
or drawn from the posterior, the number of replicates) and see at once, against one reference
(the baseline or the unedited scenario, named in the header), the retention band with the
observed history, the paired difference under common random numbers, the destinations at the
checkpoint month, one replicate played month by month by the Mesa model and the attribution to
causes; the charts are Vega-Lite (Altair), drawn offline. The settings download as a scenario
file that ``sim run`` accepts unchanged.

Its logic needs no browser, one module per job, bottom to top:

* :mod:`sim.app.reference`: the catalog of scenario files and the reference a scenario loads as;
* :mod:`sim.app.settings`: the levers' values (:class:`~sim.app.settings.Settings`), checked;
* :mod:`sim.app.scenario_file`: the settings as a scenario file, and that file loaded back;
* :mod:`sim.app.compute`: the numbers (:class:`~sim.app.compute.Result`), against one
  reference (:class:`~sim.app.compute.Against`), and the attribution;
* :mod:`sim.app.replay`: one replicate played by the Mesa model;
* :mod:`sim.app.charts`: the charts as Vega-Lite specs (Altair), coloured by
  :mod:`sim.reports.palette`;
* :mod:`sim.app.view`: what a lever's move recomputes, numbers and charts;
* :mod:`sim.app.server`: the page's address (:data:`~sim.app.server.APP`,
  :data:`~sim.app.server.SCENARIO_ENV`) and Solara's server.

The Solara components: :mod:`sim.app.page` (the page), :mod:`sim.app.levers` (the sidebar),
:mod:`sim.app.views` (the main area), :mod:`sim.app.vega` (a chart, drawn offline) and
:mod:`sim.app.widgets`.

The command ``sim app`` is :mod:`sim.cli.app`. Solara is an optional dependency
(``pip install -e '.[app]'``, or the ``dev`` extra); it is imported only when the page is served.
"""

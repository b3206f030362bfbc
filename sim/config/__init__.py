"""The configuration layer: the parameter space and scenario files.

:mod:`~sim.config.params` declares every behavioural parameter once (name, bounds, prior);
:mod:`~sim.config.scenario` reads a scenario file (``extends``, world edits, parameters, horizon,
replicates, seed) into a :class:`~sim.config.scenario.Scenario`. It builds on the world layer.
"""

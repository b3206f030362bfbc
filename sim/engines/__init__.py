"""The engines: one scenario's replicates simulated, two schedulers of one choice rule.

:mod:`~sim.engines.ensemble` runs many replicates at once in one compiled loop;
:mod:`~sim.engines.mesa_model` is the reference Mesa model, one agent at a time, move for move
identical; :mod:`~sim.engines.simulate` is the one thin function every driver calls
(``simulate(scenario_world, theta, seeds) -> Trajectories``); :mod:`~sim.engines.run` runs a
scenario in memory-bounded blocks and summarises it.
"""

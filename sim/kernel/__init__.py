"""The kernel: the choice rule and the random streams, the innermost layer.

:mod:`~sim.kernel.behavior` is the only definition of how a researcher values a lab and decides
to move (both engines and the likelihood call it); :mod:`~sim.kernel.availability` which labs
exist in a month of a run; :mod:`~sim.kernel.philox` and
:mod:`~sim.kernel.streams` give every replicate its own counter-based random numbers. Nothing here
imports anything else from ``sim`` (an import-linter contract in ``pyproject.toml`` says so).
"""

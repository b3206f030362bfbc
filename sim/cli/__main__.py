"""``python -m sim.cli``: the sim command (:mod:`sim.cli.entry`)."""

from sim.cli.entry import console

console()

"""The inference layer: calibrating the parameters to observed histories.

ABC-SMC on a world's declared targets, the full-information posterior sampled from the
likelihood (:mod:`sim.likelihood`), several worlds jointly, the reference yardstick of what one
history allows, and the diagnostics they report. Algorithms return result objects; their
reports are written by :mod:`sim.reports` and their command by :mod:`sim.cli`.
"""

"""The analysis layer: drivers around the engines that answer questions.

Comparisons of counterfactuals under common random numbers, the attribution of an exodus to its
causes (Shapley values), parameter sweeps and their sensitivity indices, and the robustness of
every counterfactual across calibrations. Each returns a result object; :mod:`sim.reports`
writes it and :mod:`sim.cli` parses the command.
"""

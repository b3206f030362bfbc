"""An agent-based model of why the authors of Meta's LLaMA paper left.

Researchers choose each month between Meta, Mistral and the other labs by a nested logit over
openness, research culture, product pace, pay, colleagues and home city (:mod:`sim.behavior`).
Two engines run the same rule: the Mesa model (:mod:`sim.model`, the reference) and a compiled
ensemble engine (:mod:`sim.ensemble`) that runs many replicates at once, move for move identical.
"""

"""Approximate Bayesian computation on a world's declared targets.

:mod:`~sim.inference.abc.targets` reads the targets (the summaries a simulated history must
match, and the retention band the observed intervals allow) and measures how far a history
misses them; :mod:`~sim.inference.abc.smc` is the sampler, rejection ABC refined by ABC-SMC on
the ensemble engine (Toni et al. 2009; Beaumont et al. 2009; Del Moral, Doucet & Jasra 2012).
Import from the modules themselves; this package re-exports nothing.
"""

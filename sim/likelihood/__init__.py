"""The likelihood layer: the probability of an observed history under the model, per researcher.

:mod:`~sim.likelihood.panel` prepares a history (moves and their intervals);
:mod:`~sim.likelihood.evaluate` integrates each researcher's latent terms and sums the log
likelihood, from the same kernel functions the engines draw with (:mod:`sim.kernel.behavior`);
:mod:`~sim.likelihood.augment` makes the uncertain months of moves latent variables, so a
sampler can integrate them exactly (data augmentation); :mod:`~sim.likelihood.forecast` draws
each researcher's latent terms given their history, which the engines need to forecast from the
observed state. It sits below the engines for that reason, and below the inference layer, which
samples posteriors from it.
"""

from sim.likelihood.augment import Augmented, LatentMonths, augmented, update_months
from sim.likelihood.evaluate import conditional_log_likelihoods, log_likelihood, tilted_fits
from sim.likelihood.forecast import forecast_inputs, latent_draw
from sim.likelihood.integration import FIT_POINTS, QUADRATURE, Integration
from sim.likelihood.panel import (
    Panel,
    at_months,
    complete_panel,
    interval_censored,
    observed_panel,
    panel_from_chains,
    subsample,
    with_month,
)

__all__ = [
    "FIT_POINTS",
    "Augmented",
    "LatentMonths",
    "augmented",
    "update_months",
    "at_months",
    "with_month",
    "QUADRATURE",
    "Integration",
    "Panel",
    "complete_panel",
    "conditional_log_likelihoods",
    "forecast_inputs",
    "interval_censored",
    "latent_draw",
    "log_likelihood",
    "observed_panel",
    "panel_from_chains",
    "subsample",
    "tilted_fits",
]

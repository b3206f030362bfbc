"""The results layer: simulated histories, what is read off them, and how results are stored.

:mod:`~sim.results.measures` holds :class:`Trajectories` (who was where, each month of each
replicate) and every summary, curve and table read off them; :mod:`~sim.results.store` writes
output folders atomically, with a manifest of provenance. The layers above import its names from
here.
"""

from sim.results.measures import (
    QUANTILES,
    RunSummary,
    Trajectories,
    at_lab,
    checkpoint_month,
    destination_counts,
    destination_herfindahl,
    difference_curve,
    distinct_other_labs,
    exit_counts,
    exits_per_month,
    gone_by,
    half_gone_month,
    lab_counts,
    largest_group,
    month_index,
    observed_readings,
    remaining,
    replicate_summaries,
    retention_curve,
    statistic_values,
    summary_functions,
    summary_table,
)
from sim.results.store import (
    PACKAGE,
    check_out_folder,
    provenance,
    replace_folder,
    save_figure,
    write_atomic,
    write_frame,
    write_json,
    write_text,
)
from sim.results.trajectory_file import TRAJECTORY_BLOCK, TrajectoryWriter, write_trajectories

__all__ = [
    "PACKAGE",
    "QUANTILES",
    "TRAJECTORY_BLOCK",
    "RunSummary",
    "Trajectories",
    "TrajectoryWriter",
    "at_lab",
    "check_out_folder",
    "checkpoint_month",
    "destination_counts",
    "destination_herfindahl",
    "difference_curve",
    "distinct_other_labs",
    "exit_counts",
    "exits_per_month",
    "gone_by",
    "half_gone_month",
    "lab_counts",
    "largest_group",
    "month_index",
    "observed_readings",
    "provenance",
    "remaining",
    "replace_folder",
    "replicate_summaries",
    "retention_curve",
    "save_figure",
    "statistic_values",
    "summary_functions",
    "summary_table",
    "write_atomic",
    "write_frame",
    "write_json",
    "write_text",
    "write_trajectories",
]

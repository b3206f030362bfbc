"""The results layer: simulated histories, what is read off them, and how results are stored.

:mod:`~sim.results.measures` holds :class:`Trajectories` (who was where, each month of each
replicate) and every summary, curve and table read off them; :mod:`~sim.results.store` writes
output folders atomically, with a manifest of provenance. The layers above import its names from
here.
"""

from sim.results.measures import (
    QUANTILES,
    Trajectories,
    at_lab,
    checkpoint_month,
    destination_counts,
    destination_herfindahl,
    difference_curve,
    distinct_other_labs,
    exit_counts,
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
)
from sim.results.output_folder import (
    JOURNAL,
    LIBRARY,
    MANIFEST,
    MARK,
    Staging,
    check_out_folder,
    earlier_result,
    remove_leftovers,
    replace_folder,
    sha256,
)
from sim.results.store import (
    PACKAGE,
    provenance,
    save_figure,
    write_atomic,
    write_frame,
    write_json,
    write_text,
)
from sim.results.summary import RunSummary, exits_per_month, summary_table
from sim.results.trajectory_file import TRAJECTORY_BLOCK, TrajectoryWriter, write_trajectories

__all__ = [
    "JOURNAL",
    "LIBRARY",
    "MANIFEST",
    "MARK",
    "Staging",
    "earlier_result",
    "remove_leftovers",
    "sha256",
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

"""Simulated histories on disk: ``trajectories.parquet``, written block by block.

The tidy form of :meth:`~sim.results.measures.Trajectories.to_df` (one row per replicate, month and
researcher), in row groups of :data:`TRAJECTORY_BLOCK` replicates, so memory stays bounded by a
block whatever the number of replicates.
"""

from __future__ import annotations

from pathlib import Path

from sim.results.measures import Trajectories
from sim.results.store import write_atomic

#: Replicates per row group of trajectories.parquet: each is converted to a table on its own.
TRAJECTORY_BLOCK = 2048


class TrajectoryWriter:
    """Appends blocks of histories to one Parquet file (row groups of TRAJECTORY_BLOCK).

    With ``path`` None it writes nothing (a run asked not to keep its histories).
    """

    def __init__(self, path: Path | None):
        self.path, self.writer = path, None

    def append(self, traj: Trajectories, offset: int) -> None:
        """Write ``traj``'s histories, numbered from replicate ``offset``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.path is None:
            return
        for start in range(0, traj.shape[0], TRAJECTORY_BLOCK):
            frame = traj.subset(slice(start, start + TRAJECTORY_BLOCK)).to_df()
            frame["replicate"] += offset + start
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self.writer = self.writer or pq.ParquetWriter(self.path, table.schema)
            self.writer.write_table(table)

    def close(self) -> None:
        """Finish the file (its footer); nothing to do if nothing was written."""
        if self.writer is not None:
            self.writer.close()


def write_trajectories(path: Path, traj: Trajectories) -> Path:
    """Write the tidy trajectories to Parquet block by block (bounded memory), atomically."""

    def write(tmp: Path) -> None:
        blocks = TrajectoryWriter(tmp)
        try:
            blocks.append(traj, 0)
        finally:
            blocks.close()

    return write_atomic(path, write)

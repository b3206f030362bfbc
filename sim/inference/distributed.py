"""Posterior evaluations on a Dask cluster: the Laplace sampler's proposals spread over workers.

The importance-sampling proposals of :mod:`sim.inference.laplace` are independent evaluations of
the same log posterior, so they split into chunks that workers evaluate apart: the target (the
worlds, their panels and the integration points) is sent to every worker once, each chunk is one
task, and the values come back in the proposals' order. The arithmetic on a worker is the same as
here (the same compiled kernels, the same points), so a cluster gives the values a local run gives,
bit for bit. ``sim calibrate --sampler laplace --scheduler ADDRESS`` uses it, as ``sim sweep
--scheduler`` does for sweeps.
"""

from __future__ import annotations

import numpy as np

from sim.errors import InputError

#: Proposals per task.
CHUNK = 64


def evaluate_chunk(target, ys: np.ndarray) -> np.ndarray:
    """The log posterior at each row of ``ys`` (a worker's task)."""
    return np.array([target(y) for y in ys])


def dask_evaluate(scheduler, chunk: int = CHUNK):
    """An ``evaluate(target, ys)`` for :func:`sim.inference.laplace.laplace_posterior` on Dask.

    ``scheduler`` is an address (``tcp://host:8786``) or a ``distributed.Client``.

    Raises:
        InputError: dask.distributed is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "a scheduler needs dask.distributed: pip install 'llama-exodus-sim[dask]'"
        ) from None

    def evaluate(target, ys: np.ndarray) -> np.ndarray:
        own = not isinstance(scheduler, Client)
        try:
            client = Client(scheduler) if own else scheduler
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot connect to the Dask scheduler {scheduler!r} ({exc})",
                             key="--scheduler") from None  # fmt: skip
        try:
            shared = client.scatter(target, broadcast=True)
            futures = [client.submit(evaluate_chunk, shared, ys[k : k + chunk], pure=False)
                       for k in range(0, len(ys), chunk)]  # fmt: skip
            return np.concatenate(client.gather(futures))
        finally:
            if own:
                client.close()

    return evaluate

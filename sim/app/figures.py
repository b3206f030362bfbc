"""The page's figures as PNG bytes: retention, paired difference, destinations, who moved.

The first three draw a :class:`sim.app.compute.Result` with the report figures of
:mod:`sim.reports.plot`; :func:`moves_png` draws one replicate of the Mesa model at its month.
"""

from __future__ import annotations

import io

from sim.app.compute import Result
from sim.app.replay import model_month, who_is_where


# --------------------------------------------------------------------------- figures
def png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=80)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def retention_png(result: Result) -> bytes:
    """The edited scenario's retention band against the baseline's, with the observed history."""
    from sim.reports.plot import retention_figure

    world = result.world
    fig = retention_figure(
        result.retention(),
        world,
        title=f"{world.title}: share still at {world.focal_lab}",
    )
    return png(fig)


def difference_png(result: Result) -> bytes:
    """The paired-difference band (edited minus reference, same seeds and draws)."""
    from sim.reports.plot import difference_figure

    return png(
        difference_figure(
            {result.labels[1]: result.difference_curve()}, result.world, result.labels[0]
        )
    )


def destinations_png(result: Result) -> bytes:
    """Mean number of the cohort at each lab at the checkpoint, reference and edited."""
    from sim.reports.plot import destinations_figure

    world = result.world
    start = (world.focal_lab, *dict.fromkeys(world.start_labs))
    return png(destinations_figure(result.destinations(), start, result.checkpoint))


def moves_png(model, previous: dict[int, int] | None = None) -> bytes:
    """Who is where: one column per lab, a dot and a name per researcher; movers highlighted."""
    import matplotlib.pyplot as plt

    where = who_is_where(model)
    focal = model.world.world.focal_lab
    labs = list(where)
    tallest = max([len(v) for v in where.values()] + [1])
    fig, ax = plt.subplots(figsize=(max(6.0, 1.25 * len(labs)), 1.2 + 0.32 * tallest))
    lab_of = {r.name: r.lab for r in model.researchers}
    index_of = {r.name: r.index for r in model.researchers}
    for x, lab in enumerate(labs):
        ax.add_patch(
            plt.Rectangle(
                (x - 0.45, -0.6),
                0.9,
                tallest + 0.2,
                color="#dbe9f6" if lab == focal else "#f2f2f2",
                zorder=0,
            )
        )
        for y, name in enumerate(where[lab]):
            moved = (
                bool(model.month)
                and previous is not None
                and (previous.get(index_of[name]) != lab_of[name])
            )
            ax.scatter([x], [y], s=60, color="C3" if moved else "C0", zorder=2)
            ax.text(
                x,
                y + 0.28,
                name,
                ha="center",
                va="bottom",
                fontsize=7,
                color="C3" if moved else "black",
                zorder=3,
            )
    ax.set_xticks(range(len(labs)))
    ax.set_xticklabels([f"{lab}\n({len(where[lab])})" for lab in labs], rotation=0, fontsize=8)
    ax.set_xlim(-0.6, len(labs) - 0.4)
    ax.set_ylim(-0.8, tallest + 0.2)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    at_focal = len(where.get(focal, []))
    ax.set_title(
        f"{model_month(model)}: {at_focal} at {focal} (red: moved this month)", fontsize=10
    )
    fig.tight_layout()
    return png(fig)

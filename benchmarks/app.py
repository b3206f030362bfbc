"""How long the page takes to answer a lever's move, and to attribute (``sim app``).

A lever's move recomputes the edited scenario against the unedited one and the baseline
(:func:`sim.app.compute.compute`: the simulation) and builds the charts' Vega-Lite specs
(:func:`sim.app.view.charts`). Each is timed over a cycle of lab removals at 1,000 replicates
(the page's default), after one untimed warm-up that compiles the engines; the medians are
printed. The attribution (:func:`sim.app.compute.attribution`) is timed at the page's size.
Nothing is asserted: these are numbers to read, on the machine they ran on::

    .venv/bin/python benchmarks/app.py
    .venv/bin/python benchmarks/app.py --replicates 1000 --repeats 7 --attribution 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

LABS = ("Mistral", "Kyutai", "Apple", "Cohere", "Anthropic", "Inflection", "Other")


def main(argv: list[str] | None = None) -> int:
    from sim.app.compute import ATTRIBUTION_REPLICATES, attribution, compute
    from sim.app.reference import load_reference
    from sim.app.settings import DEFAULT_REPLICATES, initial_settings
    from sim.app.view import charts

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES)
    parser.add_argument("--repeats", type=int, default=7, help="lever moves timed")
    parser.add_argument("--attribution", type=int, default=2, help="attributions timed (0: none)")
    args = parser.parse_args(argv)

    reference = load_reference(args.scenario)
    settings = initial_settings(reference, args.replicates)
    charts(compute(settings.with_lab("Apple", False), reference))  # compile, warm the caches
    simulate, chart, total = [], [], []
    for k in range(args.repeats):
        edited = settings.with_lab(LABS[k % len(LABS)], False)
        start = time.perf_counter()
        result = compute(edited, reference)
        middle = time.perf_counter()
        view = charts(result, "baseline")
        end = time.perf_counter()
        assert view.retention["usermeta"]["reference"] == "baseline"
        simulate.append(middle - start)
        chart.append(end - middle)
        total.append(end - start)
    print(f"sim app, {args.scenario}, {args.replicates:,} replicates, {args.repeats} lever moves")
    print(f"  recompute (simulation):  median {statistics.median(simulate):.3f} s "
          f"(min {min(simulate):.3f}, max {max(simulate):.3f})")  # fmt: skip
    print(f"  chart specs (Altair):    median {statistics.median(chart):.3f} s "
          f"(min {min(chart):.3f}, max {max(chart):.3f})")  # fmt: skip
    print(f"  a lever's move in all:   median {statistics.median(total):.3f} s "
          f"(min {min(total):.3f}, max {max(total):.3f})")  # fmt: skip
    if args.attribution:
        attribution(result, ATTRIBUTION_REPLICATES)  # compile the coalitions' runs
        times = []
        for _ in range(args.attribution):
            start = time.perf_counter()
            attribution(result, ATTRIBUTION_REPLICATES)
            times.append(time.perf_counter() - start)
        median, low, high = statistics.median(times), min(times), max(times)
        print(f"  attribution ({ATTRIBUTION_REPLICATES} replicates per source): median "
              f"{median:.2f} s (min {low:.2f}, max {high:.2f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

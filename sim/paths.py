"""Where the checkout's own folders are: ``scenarios/`` and ``calibration/`` beside ``sim/``.

The shipped worlds live inside the package (``sim/data``, read with :mod:`importlib.resources`);
the scenarios and committed posteriors live beside it in a checkout (an editable install).
This module imports nothing from ``sim``: every layer may use it.
"""

from pathlib import Path

#: The folder that holds ``sim/``, ``scenarios/`` and ``calibration/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The shipped scenarios (``scenarios/``).
SCENARIO_DIR = PROJECT_ROOT / "scenarios"
#: The committed calibrations (``calibration/WORLD/...``).
CALIBRATION_DIR = PROJECT_ROOT / "calibration"

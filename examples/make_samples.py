"""Regenerate the sample CSVs under examples/datasets/data/ (50 rows each).

    python examples/make_samples.py

The rows come from hub.demo.synth with its default seeds, so running this again gives
the same bytes; businesses are owned by adults among the sample citizens.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "datasets" / "data"
SAMPLE_ROWS = 50


def main() -> None:
    if str(ROOT) not in sys.path:  # run from a checkout without installing the project
        sys.path.insert(0, str(ROOT))
    from hub.demo.synth import write_businesses, write_population

    owners = write_population(DATA / "population.csv", SAMPLE_ROWS)
    write_businesses(DATA / "businesses.csv", SAMPLE_ROWS, owners=owners)
    print(f"wrote {SAMPLE_ROWS} citizens and {SAMPLE_ROWS} businesses to {DATA}")


if __name__ == "__main__":
    main()

"""Entry point of the durability test's subprocesses: start a search, or resume one (`search|resume`)."""

from __future__ import annotations

import sys
from pathlib import Path

from phasenas.runs import resume, search
from tests.graph.conftest import make_config

EVALUATIONS = 16


def main(action: str, runs_dir: Path, run_id: str) -> None:
    if action == "search":
        config = make_config(runs_dir, run_id=run_id, explorer={"delay_s": 0.15}, refiner={"delay_s": 0.15},
                             thresholds={"gamma_trans": 95.0}, budget={"evaluations": EVALUATIONS},
                             scoring={"proxy": "naswot", "workers": 1, "batch_size": 8})
        result = search(config)
    else:
        result = resume(run_id, runs_dir)
    sys.stdout.write(f"RESULT {result.stop_reason} {result.usage['evaluations']}\n")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3])

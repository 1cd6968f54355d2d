"""A real PhaseNAS search with the embedded local models (llama.cpp, grammar-constrained) on NAS-Bench-Macro."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasenas.config import SearchConfig
from phasenas.runs import RUN_STORE_FILE, asearch
from phasenas.space import get_space
from phasenas.space.macro import BenchmarkTable
from phasenas.store import RunStore

pytestmark = [pytest.mark.slow, pytest.mark.llm]


async def test_real_models_switch_phase_and_find_a_benchmarked_architecture(
        tmp_path: Path, nbm_table_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("llama_cpp")
    config = SearchConfig.model_validate({
        "runs_dir": tmp_path / "runs",
        "explorer": {"model": {"provider": "local", "model": "smollm2-135m-instruct"}, "prompt": "explore@1",
                     "temperature": 0.9, "proposals": 4, "max_tokens": 256},
        "refiner": {"model": {"provider": "local", "model": "qwen2.5-coder-1.5b-instruct"}, "prompt": "refine@1",
                    "temperature": 0.3, "proposals": 2, "max_tokens": 256},
        "constraint": "grammar",
        "scoring": {"workers": 1, "batch_size": 16},
        "budget": {"evaluations": 16, "llm_calls": 48, "wall_seconds": 1500},
        "thresholds": {"stuck_steps": 2},
    })
    result = await asearch(config)

    assert result.switched_at_step is not None, "the search never left Phase I"
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        calls = store.llm_calls()
        evaluations = store.evaluations()
    assert {c.agent for c in calls} == {"explorer", "refiner"}
    assert all(c.step >= result.switched_at_step for c in calls if c.agent == "refiner")
    assert {c.constraint_kind for c in calls} == {"gbnf"}
    assert sum(e.score is not None for e in evaluations) >= 8
    assert result.best is not None

    space = get_space("macro")
    table = BenchmarkTable.load(nbm_table_path)
    arch = space.parse(result.best)
    accuracy, rank = table.accuracy(arch), table.rank(arch)
    assert 0.0 < accuracy <= 100.0 and rank >= 1
    with capsys.disabled():
        print(f"\nbest {space.to_code(arch)} proxy={result.best_score:.2f} accuracy={accuracy:.2f}% rank={rank} "
              f"evaluations={result.usage['evaluations']} llm_calls={result.usage['llm_calls']} "
              f"switched_at_step={result.switched_at_step} elapsed={result.usage['elapsed_s']:.0f}s")

"""A real search on the yolo space with the packaged SmolLM2-135M as explorer and refiner (llama.cpp, grammar
constrained), scored by zen-det: the detector prompts, grammar and repair loop give valid detectors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from phasenas.config import SearchConfig
from phasenas.runs import RUN_STORE_FILE, asearch
from phasenas.space import get_space
from phasenas.store import NEIGHBOUR_MODEL, RunStore

pytestmark = pytest.mark.llm
SMALL = {"provider": "local", "model": "smollm2-135m-instruct", "seed": 1}


@pytest.fixture(scope="module")
def small_model() -> None:
    pytest.importorskip("llama_cpp", reason="the local provider needs llama-cpp-python (pip install 'phasenas[local]')")
    from phasenas.llm.errors import ModelNotInstalled
    from phasenas.llm.packaged import resolve_model_path

    try:
        resolve_model_path("smollm2-135m-instruct")
    except ModelNotInstalled as exc:
        pytest.skip(str(exc))


async def test_small_model_finds_valid_detectors(tmp_path: Path, small_model: None) -> None:
    config = SearchConfig.model_validate({
        "space": "yolo", "seed": 0, "runs_dir": tmp_path / "runs",
        "explorer": {"model": SMALL, "prompt": "explore@2", "temperature": 0.9, "proposals": 2, "max_tokens": 320},
        "refiner": {"model": SMALL, "prompt": "refine@2", "temperature": 0.3, "proposals": 1, "max_tokens": 320},
        "repair_prompt": "repair@2", "repair_rounds": 1, "constraint": "grammar",
        "thresholds": {"gamma_trans": -1e9},   # refine once something is scored (without overlap: the next step)
        # two single-thread workers: one worker would get both cores, and its torch threads stall beside llama.cpp
        "scoring": {"proxy": "zen-det", "workers": 2, "batch_size": 4, "overlap": False},
        "budget": {"evaluations": 2, "llm_calls": 10, "wall_seconds": 600},
    })
    result = await asearch(config)

    space = get_space("yolo")
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        calls, proposals, evaluations = store.llm_calls(), store.proposals(), store.evaluations()
    scored = [e for e in evaluations if e.score is not None]
    assert scored, [(p.status, p.errors) for p in proposals]
    assert all(math.isfinite(e.score) and e.proxy == "zen-det" for e in scored)
    assert result.best_score == max(e.score for e in scored)
    assert space.validate(result.best).canonical == result.best

    # the run store agrees with itself: every evaluation is a valid proposal of a recorded call, or the
    # validator's unexplored neighbour of a duplicate answer of that call
    valid = {p.canonical for p in proposals if p.status == "valid"}
    duplicated = {p.call_key for p in proposals if p.status == "duplicate"}
    assert all(e.canonical in valid or (e.model == NEIGHBOUR_MODEL and e.call_key in duplicated) for e in evaluations)
    assert {e.call_key for e in evaluations} <= {c.call_key for c in calls}
    assert len(calls) == result.usage["llm_calls"] <= 10
    assert {c.constraint_kind for c in calls} == {"gbnf"}
    assert {c.agent for c in calls if c.step < (result.switched_at_step or 1 << 30)} == {"explorer"}
    assert all(c.step >= result.switched_at_step for c in calls if c.agent == "refiner")

    # the explorer saw the yolo explore@2 prompt: a detection task and a valid sampled start design
    explore = [c for c in calls if c.prompt == "explore@2"]
    assert explore, {c.prompt for c in calls}
    human = explore[0].messages[-1]["content"]
    assert "Task: detect objects of 80 classes" in human
    start = human.split("Start from this valid, untried detector:\n", 1)[1].splitlines()[0]
    assert space.validate(start).valid
    assert all("repair@2" == c.prompt for c in calls if c.round > 0)

"""refine@2 shows the refiner the evaluated architectures nearest its candidate, as edits with their scores."""

from __future__ import annotations

import re
from pathlib import Path

from phasenas.agents.refiner import edit_text, nearest_tried, tried_text
from phasenas.runs import RUN_STORE_FILE, asearch
from phasenas.store import RunStore
from tests.graph.conftest import make_config

STEM = "ConvK3BNRELU(3,32,1,1)"


def test_nearest_tried_picks_the_most_similar_others_and_lists_them_best_first() -> None:
    scored = {"AAAA": 1.0, "AAAB": 3.0, "AABB": 5.0, "BBBB": 9.0, "ZZZZ": 7.0}
    assert nearest_tried("AAAA", scored, 2) == [("AABB", 5.0), ("AAAB", 3.0)]  # the two nearest, best first
    assert nearest_tried("AAAA", scored, 0) == []
    assert "AAAA" not in {c for c, _ in nearest_tried("AAAA", scored, 10)}


def test_edit_text_names_the_changed_blocks() -> None:
    before = f"{STEM}MB3K3(32,64,2)Skip(64,64,1)"
    assert edit_text(before, f"{STEM}MB6K5(32,64,2)Skip(64,64,1)") == "layer 1: MB3K3(32,64,2) -> MB6K5(32,64,2)"
    assert edit_text(before, f"{STEM}MB3K3(32,64,2)") == "layer 2: Skip(64,64,1) -> (remove)"
    assert edit_text(before, before) == "(same network)"
    # the yolo space's compact form, blocks with repeats
    assert edit_text("Conv(16,3,2) C2f(24,True)x2", "Conv(16,3,2) C2f(24,True)x3") == \
        "layer 1: C2f(24,True)x2 -> C2f(24,True)x3"
    assert tried_text(before, []) == "(none yet)"


async def test_refine_prompt_lists_evaluated_neighbours_as_edits_with_their_scores(runs_dir: Path) -> None:
    config = make_config(runs_dir, thresholds={"gamma_trans": 0.0}, budget={"evaluations": 16},
                         pool={"show_tried": 3})
    config = config.model_copy(update={"refiner": config.refiner.model_copy(update={"prompt": "refine@2"})})
    result = await asearch(config)
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        refines = [c for c in store.llm_calls() if c.prompt == "refine@2"]
        scores = {e.canonical: e.score for e in store.evaluations() if e.score is not None}
    assert refines
    for call in refines:
        text = call.messages[-1]["content"]
        candidate = re.search(r"Improve this candidate:\n- score \S+: (\S+)", text)[1]  # type: ignore[index]
        section = text.split("already evaluated")[1].split("\n\n")[0]
        listed = re.findall(r"- score (\S+): (.+)", section)
        assert len(listed) == 3
        # every line is the edit of the candidate into a network scored before this call, at the score shown
        edits = {edit_text(candidate, c): s for c, s in scores.items() if c != candidate}
        for shown, edit in listed:
            assert edit != "(same network)" and float(shown) == float(f"{edits[edit]:.4g}")
        assert [float(s) for s, _ in listed] == sorted((float(s) for s, _ in listed), reverse=True)

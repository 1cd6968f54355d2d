"""What the agents tell a model about the yolo space: the task, the yolo prompt versions, repair@2, the grammar."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from phasenas.prompts import load_prompt
from phasenas.runs import RUN_STORE_FILE, asearch
from phasenas.space import get_space
from phasenas.space.detection import PRESETS, YoloSpace
from phasenas.store import RunStore
from tests.graph.conftest import make_config


def test_each_space_words_its_own_task(yolo: YoloSpace) -> None:
    assert get_space("macro").task_text() == "classify 32x32 images with 3 channels into 10 classes"
    assert yolo.task_text().startswith("detect objects of 80 classes in 640x640 images with 3 channels")
    assert "P3/P4/P5" in yolo.task_text()
    assert "20 classes in 320x320" in yolo.with_task(classes=20, resolution=320).task_text()


def test_the_default_explorer_version_has_a_yolo_file(yolo: YoloSpace) -> None:
    assert load_prompt("explorer", "explore@2", space="yolo").source.parent.name == "yolo"
    assert load_prompt("explorer", "explore@2", space="macro").source.parent.name == "explorer"


@pytest.mark.parametrize("refine", ["refine@1", "refine@2"])
async def test_refiner_versions_for_yolo_get_their_inputs(tmp_path: Path, refine: str) -> None:
    config = make_config(tmp_path / "runs", space="yolo", explorer={"space": "yolo"}, refiner={"space": "yolo"},
                         k_explore=2, k_refine=2, thresholds={"gamma_trans": -1e9},
                         scoring={"proxy": "flops", "workers": 1, "overlap": False}, budget={"evaluations": 6})
    result = await asearch(config.model_copy(update={"refiner": config.refiner.model_copy(update={"prompt": refine})}))
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        refines = [c for c in store.llm_calls() if c.agent == "refiner" and c.round == 0]
    assert refines and {c.prompt for c in refines} == {refine}
    assert "object detector design" in refines[-1].messages[0]["content"]
    assert "Improve this detector:\n- score" in refines[-1].messages[-1]["content"]
    assert all(any(f"({f})" in c.messages[-1]["content"] for f in YoloSpace.refine_foci) for c in refines)


def test_each_space_suggests_only_ideas_its_rules_allow() -> None:
    """NAS-Bench-Macro fixes widths and strides; the yolo grammar fixes where resolution drops and the depth."""
    generic = get_space("zen-cifar").explore_foci
    assert any("strides" in f for f in generic) and any("widths" in f for f in generic)
    assert not any("strides" in f or "widths" in f for f in get_space("macro").explore_foci)
    assert not any("strides" in f or "depth" in f for f in get_space("yolo").explore_foci)
    assert not any("widths" in f or "depth" in f for f in get_space("macro").refine_foci)


def test_repair_versions_render_only_what_they_declare() -> None:
    values = {"space_description": "SD", "task": "TASK", "proposal": "P", "errors": "- E", "answer_format": "AF"}
    old, new = load_prompt("repair", "repair@1").render(**values), load_prompt("repair", "repair@2").render(**values)
    assert "TASK" not in old[1].content and "image classification" in old[0].content
    assert "Task: TASK" in new[1].content and "classif" not in new[0].content


@pytest.mark.parametrize("repair", ["repair@1", "repair@2"])
async def test_repairs_on_the_yolo_space_carry_the_detection_task(tmp_path: Path, repair: str) -> None:
    config = make_config(tmp_path / "runs", space="yolo", explorer={"space": "yolo", "invalid_rounds": 1},
                         refiner={"space": "yolo"}, k_explore=2, repair_prompt=repair, budget={"evaluations": 2})
    result = await asearch(config)
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        repairs = [c for c in store.llm_calls() if c.round == 1]
    assert repairs and {c.prompt for c in repairs} == {repair}
    human = repairs[0].messages[-1]["content"]
    assert ("Task: detect objects of 80 classes" in human) == (repair == "repair@2")
    assert result.usage["evaluations"] == 2


# --- the grammar: a GBNF subset read as a regular expression, to test which strings are sentences ------------------
_GBNF_TOKEN = re.compile(r'\s+|"(?P<lit>[^"]*)"|(?P<cls>\[[^\]]*\])|(?P<rule>[a-z][a-z0-9-]*)|(?P<op>[()|?*+]|\{[0-9,]+\})')


def gbnf_regex(grammar: str) -> re.Pattern[str]:
    rules = dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())

    def expand(name: str) -> str:
        parts = []
        for token in _GBNF_TOKEN.finditer(rules[name]):
            if token["lit"] is not None:
                parts.append(re.escape(token["lit"]))
            elif token["rule"]:
                parts.append(f"(?:{expand(token['rule'])})")
            else:
                parts.append(token["cls"] or token["op"] or "")
        return "".join(parts)

    return re.compile(expand("root"))


def test_grammar_admits_presets_and_samples_and_fixes_the_wiring(yolo: YoloSpace) -> None:
    sentence = gbnf_regex(yolo.gbnf())
    unbudgeted = yolo.with_budget(max_params=None, max_flops=None)
    rng = random.Random(3)
    texts = [unbudgeted.validate(name).canonical for name in PRESETS]
    texts += [yolo.canonical(yolo.mutate(yolo.sample(rng), rng)) for _ in range(20)]
    for text in texts:
        assert text and sentence.fullmatch(text), text
    v8n = texts[0]
    for broken in (v8n.replace("Detect(15,18,21)", "Detect(14,18,21)"),   # wrong head input
                   v8n.replace("Concat(-1,6)", "Concat(-1,7)"),           # wrong skip
                   v8n.replace("Conv(64,3,2)", "Conv(64,3,1)", 1),         # a stride moved
                   v8n.replace(" Detect", " C2f(64,False) Detect"),        # an extra layer
                   v8n.replace("C2f(32,True)", "C2f(1,True)", 1)):         # fewer than 2 channels
        assert not sentence.fullmatch(broken), broken

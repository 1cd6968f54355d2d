import random
import re

import orjson
import pytest

from phasenas.prompts.loader import load_prompt
from phasenas.space import get_space, list_spaces
from phasenas.space.detection import DetArch, YoloSpace, to_ultralytics_yaml
from phasenas.space.detection.neighbours import MUTATIONS


def test_registered_as_yolo() -> None:
    assert "yolo" in list_spaces()
    space = get_space("yolo")
    assert space.task.resolution == 640 and space.task.classes == 80 and space.default_proxy == "zen-det"


def test_description_example_is_valid_and_mentions_every_module(yolo: YoloSpace) -> None:
    text = yolo.describe()
    example = text.splitlines()[1]
    assert yolo.validate(example).valid
    for module in ("Conv", "SCDown", "C2f", "C3", "Bottleneck", "SPPF", "Upsample", "Concat", "Detect"):
        assert f"{module}(" in text
    assert "3,200,000 parameters" in text


@pytest.mark.parametrize("seed", range(4))
def test_samples_and_mutations_are_valid_within_budget(yolo: YoloSpace, seed: int) -> None:
    rng = random.Random(seed)
    arch = yolo.sample(rng)
    assert yolo.check(arch).valid
    for _ in range(10):
        mutated = yolo.mutate(arch, rng)
        report = yolo.check(mutated)
        assert report.valid and report.params <= yolo.budget.max_params
        assert yolo.canonical(mutated) != yolo.canonical(arch)
        arch = mutated


def test_each_mutation_operator_changes_something(yolo: YoloSpace) -> None:
    arch = yolo.parse("yolov8n").resolved()
    rng = random.Random(1)
    for operator in MUTATIONS:
        changed = [operator(arch, rng) for _ in range(10)]
        assert any(c is not None and c != arch for c in changed), operator.__name__


def test_mutating_a_preset_gives_a_resolved_neighbour(yolo: YoloSpace) -> None:
    neighbour = yolo.mutate(yolo.parse("yolov8n"), random.Random(0))
    assert isinstance(neighbour, DetArch) and neighbour.is_resolved and yolo.check(neighbour).valid


def test_extract_finds_detectors_in_llm_answers(yolo: YoloSpace) -> None:
    canonical = yolo.validate("yolov8n").canonical
    assert canonical is not None
    yaml_text = to_ultralytics_yaml(yolo.parse("yolov8n"))
    answers = [
        canonical,
        f"Here is a better detector than yolov8n:\n{canonical}\nIt should do well.",
        f"```\n{canonical}\n```",
        orjson.dumps({"architecture": canonical}).decode(),
        f"```yaml\n{yaml_text}```",
        f"Sure, here is the model YAML:\n{yaml_text}",
    ]
    for answer in answers:
        found = yolo.extract(answer)
        assert any(yolo.validate(c).canonical == canonical for c in found), answer[:40]
    assert yolo.extract("yolov8n is a good baseline") == []
    assert yolo.extract("no detector here") == []


def test_json_schema_pattern_accepts_canonical_forms(yolo: YoloSpace) -> None:
    pattern = re.compile(yolo.json_schema()["properties"]["architecture"]["pattern"])
    rng = random.Random(5)
    texts = [yolo.validate("yolov8n").canonical] + [yolo.canonical(yolo.sample(rng)) for _ in range(5)]
    for text in texts:
        assert pattern.search(text), text
    assert not pattern.search("Conv(16,3,2) Conv(32,3,2)")


def test_gbnf_is_a_valid_llama_grammar(yolo: YoloSpace) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    assert llama_cpp.LlamaGrammar.from_string(yolo.gbnf(), verbose=False) is not None


@pytest.mark.parametrize(("agent", "ref"), [("explorer", "explore@1"), ("explorer", "explore@2"),
                                            ("refiner", "refine@1")])
def test_prompts_for_the_yolo_space_render(yolo: YoloSpace, agent: str, ref: str) -> None:
    prompt = load_prompt(agent, ref, space="yolo")
    assert "/yolo/" in str(prompt.source)
    values = {"space_description": yolo.describe(), "task": yolo.task_text(), "budget": "at most 3,200,000 parameters",
              "top": "(none yet)", "diverse": "(none yet)", "candidate": "(none yet)", "focus": "widths",
              "start": yolo.canonical(yolo.sample(random.Random(0))),
              "answer_format": "Answer with the architecture string only."}
    messages = prompt.render(**values)
    assert "Detect" in messages[0].content and "Concat" in messages[-1].content
    assert "classif" not in " ".join(str(m.content) for m in messages)

"""Versioned prompt files: lookup order, front matter checks, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasenas.prompts import PromptError, available_prompts, load_prompt, parse_ref

INPUTS = {"space_description": "SD", "task": "T", "budget": "B", "top": "TOP", "diverse": "DIV", "focus": "F",
          "answer_format": "AF"}


def write(root: Path, rel: str, body: str, name: str = "explore", version: int = 1,
          inputs: str = "[task]") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nname: {name}\nversion: {version}\ndescription: test\ninputs: {inputs}\n---\n{body}")
    return path


def test_packaged_v1_prompts_render_for_every_agent() -> None:
    packaged = available_prompts()
    assert {"explore@1", "explore@2"} <= set(packaged["explorer"])
    assert "refine@1" in packaged["refiner"] and "repair@1" in packaged["repair"]
    messages = load_prompt("explorer", "explore@1").render(**INPUTS, start="START")
    assert [m.type for m in messages] == ["system", "human"]
    assert "TOP" in messages[1].content and "SD" in messages[0].content
    assert "START" not in messages[1].content  # a version renders only the inputs it declares
    assert "START" in load_prompt("explorer", "explore@2").render(**INPUTS, start="START")[1].content
    repair = load_prompt("repair", "repair@1").render(space_description="SD", proposal="P", errors="- E",
                                                     answer_format="AF")
    assert "- E" in repair[1].content


def test_user_dir_overrides_packaged_and_space_overrides_generic(tmp_path: Path) -> None:
    write(tmp_path, "explorer/explore@1.md", "[human]\nuser generic {task}")
    write(tmp_path, "explorer/macro/explore@1.md", "[human]\nuser macro {task}")
    assert load_prompt("explorer", "explore@1", user_dir=tmp_path).render(task="x")[0].content == "user generic x"
    macro = load_prompt("explorer", "explore@1", space="macro", user_dir=tmp_path)
    assert macro.render(task="x")[0].content == "user macro x"
    assert load_prompt("explorer", "explore@1", space="zen-cifar", user_dir=tmp_path).ref == "explore@1"


def test_new_versions_live_beside_old_ones(tmp_path: Path) -> None:
    write(tmp_path, "explorer/explore@2.md", "[system]\nv2\n[human]\n{task} {{json}}", version=2)
    prompt = load_prompt("explorer", "explore@2", user_dir=tmp_path)
    assert prompt.ref == "explore@2"
    assert prompt.render(task="t")[1].content == "t {json}"
    assert load_prompt("explorer", "explore@1", user_dir=tmp_path).source.parent.parent.name == "prompts"


@pytest.mark.parametrize(("rel", "body", "kwargs", "message"), [
    ("explorer/explore@1.md", "[human]\n{task} {other}", {}, "inputs"),
    ("explorer/explore@1.md", "[human]\n{task}", {"version": 2}, "front matter says"),
    ("explorer/explore@1.md", "hello\n[human]\n{task}", {}, "before the first"),
    ("explorer/explore@1.md", "[human]\n{task}\n[system]\nx", {"inputs": "[task]"}, r"end with a \[human\]"),
])
def test_malformed_files_are_refused_with_a_reason(tmp_path: Path, rel: str, body: str, kwargs: dict,
                                                    message: str) -> None:
    write(tmp_path, rel, body, **kwargs)
    with pytest.raises(PromptError, match=message):
        load_prompt("explorer", "explore@1", user_dir=tmp_path)


def test_bad_references() -> None:
    assert parse_ref("refine@12") == ("refine", 12)
    for ref in ("explore", "explore@0", "Explore@1", "explore@v1"):
        with pytest.raises(PromptError):
            parse_ref(ref)
    with pytest.raises(PromptError, match="no prompt"):
        load_prompt("explorer", "explore@99")

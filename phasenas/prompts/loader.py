"""Versioned prompt files: `<agent>/<name>@<version>.md` with YAML front matter and a chat template body.

A prompt is data, not code: a new version is a new file, old versions stay so that old runs can be
replayed and compared, and the `name@version` used is stored with every LLM call. A user prompt
directory (same layout) overrides the packaged files; a `<agent>/<space>/` folder overrides the generic
file for one search space.

Body format: sections start with a line `[system]` or `[human]`; placeholders are langchain-core
f-string variables (`{top}`), literal braces are doubled (`{{`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from phasenas.errors import PhaseNASError

PACKAGED_DIR = Path(__file__).parent
_REF = re.compile(r"^(?P<name>[a-z][a-z0-9_-]*)@(?P<version>[1-9][0-9]*)$")
_SECTION = re.compile(r"^\[(system|human)\]\s*$", re.MULTILINE)


class PromptError(PhaseNASError):
    """A prompt reference that does not resolve, or a prompt file that is malformed."""


@dataclass(frozen=True)
class Prompt:
    """One loaded prompt version, ready to render into chat messages."""

    ref: str
    description: str
    inputs: tuple[str, ...]
    template: ChatPromptTemplate
    source: Path

    def render(self, **values: object) -> list[BaseMessage]:
        """Fill the template; every declared input must be given (a missing one is a bug, not an empty string)."""
        missing = set(self.inputs) - set(values)
        if missing:
            raise PromptError(f"prompt {self.ref}: missing inputs {sorted(missing)}")
        return self.template.format_messages(**{k: values[k] for k in self.inputs})


def parse_ref(ref: str) -> tuple[str, int]:
    """'explore@2' -> ('explore', 2)."""
    match = _REF.match(ref)
    if match is None:
        raise PromptError(f"prompt reference {ref!r} is not of the form name@version (e.g. explore@1)")
    return match["name"], int(match["version"])


def _candidates(agent: str, ref: str, space: str | None, user_dir: Path | None) -> list[Path]:
    roots = [r for r in (user_dir, PACKAGED_DIR) if r is not None]
    paths: list[Path] = []
    for root in roots:
        if space is not None:
            paths.append(root / agent / space / f"{ref}.md")
        paths.append(root / agent / f"{ref}.md")
    return paths


def load_prompt(agent: str, ref: str, *, space: str | None = None, user_dir: Path | None = None) -> Prompt:
    """Find and parse `ref` for `agent`: user dir before packaged, space-specific before generic."""
    name, version = parse_ref(ref)
    for path in _candidates(agent, ref, space, user_dir):
        if path.is_file():
            return _parse_file(path, name, version)
    raise PromptError(f"no prompt {ref!r} for agent {agent!r} (looked in user dir {user_dir} and the packaged prompts)")


def available_prompts(user_dir: Path | None = None) -> dict[str, list[str]]:
    """Prompt references per agent directory (packaged and user), for `--help` texts and docs."""
    found: dict[str, set[str]] = {}
    for root in [r for r in (PACKAGED_DIR, user_dir) if r is not None]:
        for path in root.glob("*/**/*@*.md"):
            agent = path.relative_to(root).parts[0]
            found.setdefault(agent, set()).add(path.stem)
    return {agent: sorted(refs) for agent, refs in sorted(found.items())}


def _parse_file(path: Path, name: str, version: int) -> Prompt:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise PromptError(f"{path}: a prompt file starts with '---' front matter")
    try:
        head, body = text[4:].split("\n---\n", 1)
        meta = yaml.safe_load(head) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise PromptError(f"{path}: unreadable front matter ({exc})") from exc
    if meta.get("name") != name or meta.get("version") != version:
        raise PromptError(f"{path}: front matter says {meta.get('name')}@{meta.get('version')}, file name {name}@{version}")
    template = ChatPromptTemplate.from_messages(_sections(path, body))
    inputs = tuple(meta.get("inputs") or ())
    if set(inputs) != set(template.input_variables):
        raise PromptError(
            f"{path}: front matter inputs {sorted(inputs)} differ from the template's {sorted(template.input_variables)}"
        )
    return Prompt(ref=f"{name}@{version}", description=str(meta.get("description", "")), inputs=inputs,
                  template=template, source=path)


def _sections(path: Path, body: str) -> list[tuple[str, str]]:
    parts = _SECTION.split(body)
    if parts[0].strip():
        raise PromptError(f"{path}: text before the first [system] or [human] line")
    sections = [(role, content.strip()) for role, content in zip(parts[1::2], parts[2::2], strict=True)]
    if not sections or sections[-1][0] != "human":
        raise PromptError(f"{path}: the body must end with a [human] section")
    return sections

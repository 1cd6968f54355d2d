"""A search space: which blocks, which task and budget, and everything the agents need to speak its language.

Spaces live in one registry (``register_space``/``get_space``), so adding one is one decorated factory.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import orjson

from phasenas.errors import PhaseNASError
from phasenas.space.arch import Arch
from phasenas.space.errors import ArchError
from phasenas.space.parse import parse
from phasenas.space.validate import Budget, Task, ValidationReport, report_for

if TYPE_CHECKING:
    from phasenas.space.build import Network

_ARCH_RUN = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*\s*\([^()\n]*\)\s*)+", re.ASCII)


class Space(ABC):
    """The contract every search space fulfils (see ``MacroSpace`` and ``ZenSpace``)."""

    name: str
    description: str
    blocks: frozenset[str]
    default_proxy: str
    # Different ideas for the k concurrent calls of a step, so identical prompts do not yield identical answers;
    # a space whose rules fix some choices (NAS-Bench-Macro's strides, the yolo grammar's topology) names its own.
    explore_foci: tuple[str, ...] = (
        "change the depth: add or remove blocks",
        "change the widths: channel counts",
        "change the kernel sizes",
        "use different block types",
        "move where the resolution is reduced (strides)",
        "a bold design unlike the ones above",
    )
    refine_foci: tuple[str, ...] = ("the early layers", "the middle layers", "the late layers", "the widths",
                                    "the depth", "the kernel sizes", "the block types")

    def __init__(self, task: Task, budget: Budget) -> None:
        self.task = task
        self.budget = budget

    # --- language -----------------------------------------------------------------------------------------------
    def parse(self, text: str) -> Arch:
        """Text -> Arch; raises ``ArchError`` (syntax only; ``validate`` checks the space's rules)."""
        return parse(text, max_length=self.budget.max_length)

    def canonical(self, arch: Arch) -> str:
        """One spelling per network; spaces with equivalent encodings override this."""
        return str(arch)

    def validate(self, text: str, budget: Budget | None = None) -> ValidationReport:
        """Parse and check against this space's blocks, task and budget; never raises."""
        try:
            arch = self.parse(text)
        except ArchError as exc:
            return ValidationReport(valid=False, errors=exc.issues)
        return self.check(arch, budget)

    def check(self, arch: Arch, budget: Budget | None = None) -> ValidationReport:
        """Validate a parsed architecture against this space."""
        report = report_for(arch, self.task, budget or self.budget, self.blocks)
        if report.valid:
            report.canonical = self.canonical(arch)
        return report

    def build(self, arch: Arch) -> Network:
        """The torch module (imported lazily: parsing and validation never load torch)."""
        from phasenas.space.build import build

        return build(arch, self.task.classes)

    def with_task(self, **changes: int) -> Space:
        """A copy of this space for another resolution / class count / image channels."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.task = replace(self.task, **changes)
        return clone

    def with_budget(self, **changes: int | None) -> Space:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.budget = replace(self.budget, **changes)
        return clone

    # --- for the agents -----------------------------------------------------------------------------------------
    def task_text(self) -> str:
        """The task in one phrase for prompts; spaces for other tasks (detection) override it."""
        task = self.task
        return (f"classify {task.resolution}x{task.resolution} images with {task.image_channels} channels "
                f"into {task.classes} classes")

    @abstractmethod
    def describe(self) -> str:
        """The language and rules of this space, written for a language model."""

    @abstractmethod
    def gbnf(self) -> str:
        """A llama.cpp grammar accepting one architecture string of this space (bounded length)."""

    @abstractmethod
    def arch_pattern(self) -> str:
        """A regular expression (JSON-schema dialect) for one architecture string."""

    def json_schema(self) -> dict[str, object]:
        """The structured-output schema: ``{"architecture": "<string>"}``."""
        return {"type": "object",
                "properties": {"architecture": {"type": "string", "pattern": self.arch_pattern()}},
                "required": ["architecture"], "additionalProperties": False}

    def extract(self, text: str) -> list[str]:
        """Candidate architecture strings in an LLM answer: JSON fields, code fences or bare block runs."""
        found: list[str] = []
        for candidate in self._json_candidates(text) + [m.group(0).strip() for m in _ARCH_RUN.finditer(text)]:
            if candidate and candidate not in found:
                found.append(candidate)
        return found

    @staticmethod
    def _json_candidates(text: str) -> list[str]:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            return []
        try:
            data = orjson.loads(text[start:end + 1])
        except orjson.JSONDecodeError:
            return []
        if not isinstance(data, dict):
            return []
        values = data.get("architectures", data.get("architecture", []))
        values = values if isinstance(values, list) else [values]
        return [v.strip() for v in values if isinstance(v, str)]

    @abstractmethod
    def sample(self, rng: random.Random) -> Arch:
        """A uniformly-ish random valid architecture within budget (for baselines and warm starts)."""

    @abstractmethod
    def mutate(self, arch: Arch, rng: random.Random) -> Arch:
        """A valid neighbour of ``arch`` within budget, differing in canonical form where possible."""


SPACES: dict[str, Callable[[], Space]] = {}


def register_space(name: str) -> Callable[[Callable[[], Space]], Callable[[], Space]]:
    """Decorator: make a space factory available as ``get_space(name)``."""
    def add(factory: Callable[[], Space]) -> Callable[[], Space]:
        SPACES[name] = factory
        return factory
    return add


class UnknownSpace(PhaseNASError):
    pass


def get_space(name: str) -> Space:
    """The search space called ``name`` (``macro``, ``zen-cifar``, ...)."""
    if name not in SPACES:
        raise UnknownSpace(f"unknown search space {name!r}; available: {', '.join(sorted(SPACES))}")
    return SPACES[name]()


def list_spaces() -> list[str]:
    return sorted(SPACES)

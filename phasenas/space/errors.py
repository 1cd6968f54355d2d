"""Specific, stable error records for architecture strings: what went wrong, and where."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from phasenas.errors import PhaseNASError


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in an architecture string.

    ``code`` is stable (tests, prompts and traces key on it), ``message`` is for people and LLMs,
    ``position`` is a character offset into the text when known, ``block`` the block index when known.
    """

    code: str
    message: str
    position: int | None = None
    block: int | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        where = []
        if self.block is not None:
            where.append(f"block {self.block}")
        if self.position is not None:
            where.append(f"char {self.position}")
        prefix = f"[{self.code}] " + (f"({', '.join(where)}) " if where else "")
        return prefix + self.message


class ArchError(PhaseNASError):
    """Raised by ``parse`` for text that is not an architecture of the language; carries every issue found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(i) for i in issues))

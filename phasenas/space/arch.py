"""The parsed form of an architecture: an immutable sequence of blocks, each a name and integer arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Block(NamedTuple):
    """One block of the template language, e.g. ``ResK1K3K1(32,64,2,16,2)``; ``name`` is always canonical.

    A NamedTuple rather than a frozen dataclass: parsing creates many, and tuples are several times cheaper.
    """

    name: str
    args: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.name}({','.join(map(str, self.args))})"

    @property
    def in_channels(self) -> int:
        return self.args[0]

    @property
    def out_channels(self) -> int:
        return self.args[1]

    @property
    def stride(self) -> int:
        return self.args[2]


@dataclass(frozen=True, slots=True)
class Arch:
    """A network body: blocks applied in order, followed by the space's head (GAP + linear classifier)."""

    blocks: tuple[Block, ...]

    def __str__(self) -> str:
        return "".join(map(str, self.blocks))

    def __len__(self) -> int:
        return len(self.blocks)

    def replace(self, index: int, block: Block) -> Arch:
        """A copy with the block at ``index`` replaced (archs are immutable)."""
        blocks = list(self.blocks)
        blocks[index] = block
        return Arch(tuple(blocks))

"""The NAS-Bench-Macro space (Su et al., CVPR 2021): 8 searchable layers, 3 choices each, 6561 trained networks.

Network: stem ConvK3BNRELU(3,32,1,1); 8 layers in stages of [2,3,3] whose first layer has stride 2 and doubles the
channels (32 -> 64 -> 128 -> 256); head ConvK1BNRELU(256,1280,1,1), GAP, linear(10). Layer choices are written as
blocks of the language: ``Skip`` (code 0), ``MB3K3`` (code 1: inverted residual, kernel 3, expansion 3) and
``MB6K5`` (code 2: kernel 5, expansion 6). A network is also named by its 8-digit code, e.g. ``22212220``.

Inside a stage an identity that keeps the shape is a no-op, so its position among the later layers of the stage
does not matter: 22212220 and 22212202 are one network. The canonical form moves those identities to the end
of their stage.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from phasenas.errors import PhaseNASError
from phasenas.space.arch import Arch, Block
from phasenas.space.base import Space, register_space
from phasenas.space.errors import ArchError, Issue
from phasenas.space.validate import Budget, Task, ValidationReport

OPS = ("Skip", "MB3K3", "MB6K5")
STEM = Block("ConvK3BNRELU", (3, 32, 1, 1))
HEAD = Block("ConvK1BNRELU", (256, 1280, 1, 1))
STAGES = ((0, 2), (2, 5), (5, 8))
# (in, out, stride) of each searchable layer
SLOTS = ((32, 64, 2), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 128, 1),
         (128, 256, 2), (256, 256, 1), (256, 256, 1))
_CODE = re.compile(r"\s*([012]{8})\s*", re.ASCII)
TABLE_ENV = "PHASENAS_NBM_TABLE"


def canonical_code(code: str) -> str:
    """Move shape-keeping identities (0 after a stage's first layer) to the end of their stage."""
    parts = []
    for start, end in STAGES:
        first, rest = code[start], code[start + 1:end]
        kept = rest.replace("0", "")
        parts.append(first + kept + "0" * (len(rest) - len(kept)))
    return "".join(parts)


@register_space("macro")
class MacroSpace(Space):
    name = "macro"
    description = "NAS-Bench-Macro: 8 layers, each Skip / MB3K3 / MB6K5, CIFAR-10 32x32"
    blocks = frozenset(OPS) | {STEM.name, HEAD.name}
    default_proxy = "naswot"  # measured: ranks far better than zen on this space (docs/scoring.md)
    # widths, strides and the number of positions are fixed: only the op at each position is a choice
    explore_foci = (
        "change the early layers",
        "change the late layers",
        "use Skip to make the network shallower, or remove Skips to make it deeper",
        "trade MB3K3 (kernel 3, expansion 3) against MB6K5 (kernel 5, expansion 6)",
        "a bold design unlike the ones above",
    )
    refine_foci = ("the early layers", "the middle layers", "the late layers", "where the Skips are",
                   "the choice between MB3K3 and MB6K5")

    def __init__(self) -> None:
        super().__init__(Task(3, 32, 10), Budget(max_blocks=10))

    # --- codes ---------------------------------------------------------------------------------------------------
    @staticmethod
    def from_code(code: str) -> Arch:
        if len(code) != 8 or any(c not in "012" for c in code):
            raise ArchError([Issue("bad_code", f"a NAS-Bench-Macro code is 8 digits from 0,1,2; got {code[:20]!r}")])
        layers = [Block(OPS[int(c)], slot) for c, slot in zip(code, SLOTS)]
        return Arch((STEM, *layers, HEAD))

    @staticmethod
    def to_code(arch: Arch) -> str:
        """The 8-digit code of an architecture of this space (``check`` it first)."""
        return "".join(str(OPS.index(b.name)) for b in arch.blocks[1:9])

    def parse(self, text: str) -> Arch:
        """Accept the 8-digit code as well as the block string."""
        match = _CODE.fullmatch(text) if isinstance(text, str) and len(text) < 64 else None
        return self.from_code(match.group(1)) if match else super().parse(text)

    def canonical(self, arch: Arch) -> str:
        return str(self.from_code(canonical_code(self.to_code(arch))))

    def check(self, arch: Arch, budget: Budget | None = None) -> ValidationReport:
        issues = self._skeleton_issues(arch)
        if issues:
            return ValidationReport(valid=False, errors=issues, arch=arch)
        return super().check(arch, budget)

    @staticmethod
    def _skeleton_issues(arch: Arch) -> list[Issue]:
        blocks = arch.blocks
        if len(blocks) != 10:
            return [Issue("not_in_space", f"a NAS-Bench-Macro network has 10 blocks (stem, 8 layers, head), got "
                                          f"{len(blocks)}")]
        issues = []
        if blocks[0] != STEM:
            issues.append(Issue("not_in_space", f"the stem must be {STEM}", block=0))
        if blocks[-1] != HEAD:
            issues.append(Issue("not_in_space", f"the head must be {HEAD}", block=9))
        for i, (block, slot) in enumerate(zip(blocks[1:9], SLOTS), start=1):
            if block.name not in OPS or block.args != slot:
                issues.append(Issue("not_in_space", f"layer {i} must be one of {'/'.join(OPS)} with arguments "
                                                    f"{slot}, got {block}", block=i))
        return issues

    # --- for the agents --------------------------------------------------------------------------------------------
    def describe(self) -> str:
        layers = "".join(f"<op{i}>{slot}".replace(" ", "") for i, slot in enumerate(SLOTS, 1))
        return (f"Search space NAS-Bench-Macro (CIFAR-10, 32x32 images, 10 classes). A network is written\n"
                f"{STEM}{layers}{HEAD}\n"
                f"where each <opN> is one of: Skip (identity, or 1x1 conv+BN where the shape changes), "
                f"MB3K3 (inverted residual, kernel 3, expansion 3), MB6K5 (inverted residual, kernel 5, "
                f"expansion 6). Only the 8 ops change; stem, head, channels and strides are fixed. "
                f"The same network is also named by its 8-digit code (Skip=0, MB3K3=1, MB6K5=2), e.g. 22212220.")

    def gbnf(self) -> str:
        layers = " ".join(f'op "{"(" + ",".join(map(str, slot)) + ")"}"' for slot in SLOTS)
        return (f'root ::= "{STEM}" {layers} "{HEAD}"\n'
                f'op ::= "Skip" | "MB3K3" | "MB6K5"\n')

    def arch_pattern(self) -> str:
        layers = "".join(f"(Skip|MB3K3|MB6K5)\\({','.join(map(str, slot))}\\)" for slot in SLOTS)
        return "^" + re.escape(str(STEM)).replace("\\,", ",") + layers + re.escape(str(HEAD)).replace("\\,", ",") + "$"

    def extract(self, text: str) -> list[str]:
        found = super().extract(text)
        for code in re.findall(r"(?<![0-9])[012]{8}(?![0-9])", text):
            if code not in found:
                found.append(code)
        return found

    def sample(self, rng: random.Random) -> Arch:
        return self.from_code("".join(rng.choice("012") for _ in range(8)))

    def mutate(self, arch: Arch, rng: random.Random) -> Arch:
        """Change one layer's op so that the canonical network changes."""
        code = canonical_code(self.to_code(arch))
        options = [code[:i] + op + code[i + 1:] for i in range(8) for op in "012" if op != code[i]]
        options = [c for c in options if canonical_code(c) != code]
        return self.from_code(canonical_code(rng.choice(options)))


class TableError(PhaseNASError):
    pass


@dataclass(frozen=True, slots=True)
class TableEntry:
    mean_acc: float
    std: float
    params: int
    flops: int
    rank: int


class BenchmarkTable:
    """The NAS-Bench-Macro CIFAR-10 table: true accuracy and rank of every network of the space.

    Users get ``nas-bench-macro_cifar10.json`` from the public NAS-Bench-Macro repository (xiusu/NAS-Bench-Macro,
    ``data/``); pass its path, or set ``PHASENAS_NBM_TABLE``.
    """

    def __init__(self, entries: dict[str, TableEntry]) -> None:
        self.entries = entries

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> BenchmarkTable:
        source = path or os.environ.get(TABLE_ENV)
        if not source:
            raise TableError(f"no NAS-Bench-Macro table given: pass a path or set {TABLE_ENV} to "
                             "nas-bench-macro_cifar10.json (from the public xiusu/NAS-Bench-Macro repository)")
        file = Path(source)
        if not file.is_file():
            raise TableError(f"NAS-Bench-Macro table not found at {file}")
        try:
            raw = orjson.loads(file.read_bytes())
            ordered = sorted(raw.items(), key=lambda kv: -kv[1]["mean_acc"])
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError) as exc:
            raise TableError(f"{file} is not a NAS-Bench-Macro table: {exc}") from exc
        entries: dict[str, TableEntry] = {}
        rank, previous = 0, None
        for position, (code, value) in enumerate(ordered, start=1):
            if value["mean_acc"] != previous:  # equivalent codes share one entry, hence one rank
                rank, previous = position, value["mean_acc"]
            entries[code] = TableEntry(value["mean_acc"], value["std"], value["params"], value["flops"], rank)
        return cls(entries)

    def entry(self, arch_or_code: Arch | str) -> TableEntry:
        code = arch_or_code if isinstance(arch_or_code, str) else MacroSpace.to_code(arch_or_code)
        return self.entries[code]

    def accuracy(self, arch_or_code: Arch | str) -> float:
        return self.entry(arch_or_code).mean_acc

    def rank(self, arch_or_code: Arch | str) -> int:
        """1 = the most accurate network; equivalent codes share a rank."""
        return self.entry(arch_or_code).rank

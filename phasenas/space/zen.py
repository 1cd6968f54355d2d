"""The Zen-NAS classification space (``zen-cifar``): the full block language, CIFAR 32x32, a parameter budget.

Networks start with a stem ``ConvK3BNRELU(3,c,1|2,1)``, chain residual blocks of the four families, and end
with a ``ConvK1BNRELU`` that widens the features before pooling, as Zen-NAS's published ZenNets do.
"""

from __future__ import annotations

import random

from phasenas.space.arch import Arch, Block
from phasenas.space.base import Space, register_space
from phasenas.space.blocks import BLOCKS
from phasenas.space.validate import Budget, Task

RES_BLOCKS = tuple(n for n, k in BLOCKS.items() if k.family in ("res_kxkx", "res_k1kxk1", "res_idwe"))
CONV_BLOCKS = tuple(n for n, k in BLOCKS.items() if k.family == "conv")
WIDTHS = tuple(range(16, 513, 8))
MAX_BLOCKS = 12
_MUTATION_TRIES = 64


@register_space("zen-cifar")
class ZenSpace(Space):
    name = "zen-cifar"
    description = "Zen-NAS blocks (ConvKxBNRELU, ResKxKx, ResK1KxK1, ResIDWExKx) for CIFAR 32x32, 1M parameters"
    blocks = frozenset(CONV_BLOCKS + RES_BLOCKS)
    default_proxy = "zen"

    def __init__(self) -> None:
        super().__init__(Task(3, 32, 10), Budget(max_params=1_000_000, max_depth=100, max_channels=2048,
                                                 max_blocks=MAX_BLOCKS))

    def describe(self) -> str:
        return (
            f"Search space zen-cifar ({self.task.classes} classes, {self.task.resolution}x{self.task.resolution} "
            f"images with {self.task.image_channels} channels). A network is a sequence of at most "
            f"{self.budget.max_blocks} blocks written Name(arguments) with no spaces, e.g.\n"
            "ConvK3BNRELU(3,32,1,1)ResK1K3K1(32,64,2,16,2)ResIDWE6K5(64,96,2,32,1)ConvK1BNRELU(96,512,1,1)\n"
            "Blocks: ConvK{1,3,5,7}BNRELU(in,out,stride,sub_layers); ResK{3,5,7}K{3,5,7}(in,out,stride,bottleneck,"
            "sub_layers) with the same kernel twice; ResK1K{3,5,7}K1(in,out,stride,bottleneck,sub_layers); "
            "ResIDWE{1,2,4,6}K{3,5,7}(in,out,stride,bottleneck,sub_layers) (inverted residual, expansion 1-6).\n"
            f"Rules: the first block takes {self.task.image_channels} channels; each block's in equals the previous "
            "block's out; stride is 1 or 2; the map halves at each stride 2 and must stay at least 1x1; "
            f"at most {self.budget.max_params:,} parameters; channels at most {self.budget.max_channels}. "
            "Start with ConvK3BNRELU and end with ConvK1BNRELU.")

    def gbnf(self) -> str:
        conv = " | ".join(f'"{n}"' for n in CONV_BLOCKS)
        res = " | ".join(f'"{n}"' for n in RES_BLOCKS)
        return (f"root ::= stem block{{1,{self.budget.max_blocks - 2}}} headblock\n"
                f'stem ::= "ConvK3BNRELU({self.task.image_channels}," int "," stride "," small ")"\n'
                f"block ::= resblock | convblock\n"
                f'convblock ::= ({conv}) "(" int "," int "," stride "," small ")"\n'
                f'headblock ::= "ConvK1BNRELU(" int "," int ",1,1)"\n'
                f'resblock ::= ({res}) "(" int "," int "," stride "," int "," small ")"\n'
                f'stride ::= "1" | "2"\n'
                f'small ::= [1-8]\n'
                f'int ::= [1-9] [0-9]{{0,3}}\n')

    def arch_pattern(self) -> str:
        return r"^([A-Za-z0-9]+\([0-9]+(,[0-9]+){3,4}\)){2,%d}$" % self.budget.max_blocks

    # --- sampling and neighbourhood ------------------------------------------------------------------------------
    def sample(self, rng: random.Random) -> Arch:
        """Random stem, 2-6 residual blocks, head; retried until it fits the budget (shrinking widths if needed)."""
        scale = 1.0
        for attempt in range(256):
            arch = self._random_arch(rng, scale)
            if self.check(arch).valid:
                return arch
            if attempt % 16 == 15:
                scale *= 0.7
        raise RuntimeError("could not sample a valid zen-cifar network; is the budget satisfiable?")

    def _random_arch(self, rng: random.Random, scale: float) -> Arch:
        def width(low: int, high: int) -> int:
            return max(8, int(rng.randrange(low, high + 1, 8) * scale) // 8 * 8)

        c = width(16, 64)
        blocks = [Block("ConvK3BNRELU", (self.task.image_channels, c, 1, 1))]
        strides_left = 3
        for _ in range(rng.randint(2, 6)):
            name = rng.choice(RES_BLOCKS)
            stride = 2 if strides_left and rng.random() < 0.5 else 1
            strides_left -= stride == 2
            out = width(16, 256)
            blocks.append(Block(name, (c, out, stride, width(8, 64), rng.randint(1, 3))))
            c = out
        blocks.append(Block("ConvK1BNRELU", (c, width(128, 512), 1, 1)))
        return Arch(tuple(blocks))

    def mutate(self, arch: Arch, rng: random.Random) -> Arch:
        """Width, depth, kernel, block-type or stride-placement change; keeps channels chained and the budget."""
        for _ in range(_MUTATION_TRIES):
            operator = rng.choice(MUTATIONS)
            candidate = operator(arch, rng)
            if candidate is not None and candidate != arch and self.check(candidate).valid:
                return candidate
        return arch


def _with_args(block: Block, **changes: int) -> Block:
    names = BLOCKS[block.name].arg_names
    args = list(block.args)
    for key, value in changes.items():
        args[names.index(key)] = value
    return Block(block.name, tuple(args))


def mutate_width(arch: Arch, rng: random.Random) -> Arch | None:
    """Change one block's output channels (or bottleneck) and re-chain the next block's input."""
    i = rng.randrange(len(arch.blocks) - 1)
    block = arch.blocks[i]
    factor = rng.choice((0.5, 0.75, 1.25, 1.5, 2.0))
    if "bottleneck_channels" in BLOCKS[block.name].arg_names and rng.random() < 0.4:
        mid = block.args[3]
        return arch.replace(i, _with_args(block, bottleneck_channels=max(8, int(mid * factor) // 8 * 8)))
    out = max(8, int(block.out_channels * factor) // 8 * 8)
    nxt = arch.blocks[i + 1]
    return arch.replace(i, _with_args(block, out_channels=out)).replace(i + 1, _with_args(nxt, in_channels=out))


def mutate_depth(arch: Arch, rng: random.Random) -> Arch | None:
    i = rng.randrange(len(arch.blocks))
    block = arch.blocks[i]
    layers = block.args[-1] + rng.choice((-1, 1))
    return arch.replace(i, _with_args(block, sub_layers=layers)) if layers >= 1 else None


def mutate_kernel(arch: Arch, rng: random.Random) -> Arch | None:
    i = rng.randrange(len(arch.blocks))
    block = arch.blocks[i]
    kind = BLOCKS[block.name]
    siblings = [n for n, k in BLOCKS.items() if k.family == kind.family and k.expansion == kind.expansion
                and n != block.name and n in ZenSpace.blocks]
    return arch.replace(i, Block(rng.choice(siblings), block.args)) if siblings else None


def mutate_block_type(arch: Arch, rng: random.Random) -> Arch | None:
    """Swap a residual block for another family, keeping in/out/stride/bottleneck/sub_layers."""
    candidates = [i for i, b in enumerate(arch.blocks) if b.name in RES_BLOCKS]
    if not candidates:
        return None
    i = rng.choice(candidates)
    return arch.replace(i, Block(rng.choice(RES_BLOCKS), arch.blocks[i].args))


def mutate_stride(arch: Arch, rng: random.Random) -> Arch | None:
    """Move one stride-2 to a block that has stride 1."""
    twos = [i for i, b in enumerate(arch.blocks) if b.stride == 2]
    ones = [i for i, b in enumerate(arch.blocks) if b.stride == 1]
    if not twos or not ones:
        return None
    src, dst = rng.choice(twos), rng.choice(ones)
    moved = arch.replace(src, _with_args(arch.blocks[src], stride=1))
    return moved.replace(dst, _with_args(moved.blocks[dst], stride=2))


MUTATIONS = (mutate_width, mutate_depth, mutate_kernel, mutate_block_type, mutate_stride)

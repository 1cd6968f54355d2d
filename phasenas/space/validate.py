"""Pure validation: shapes, parameters, MACs and budgets computed analytically from the parsed form.

No torch, no tensors: every number comes from the closed-form costs in ``blocks``; argument bounds are checked
before any arithmetic, so a block asking for 10**9 channels is rejected before it costs anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from phasenas.space.arch import Arch
from phasenas.space.blocks import BLOCKS
from phasenas.space.errors import ArchError, Issue
from phasenas.space.parse import MAX_TEXT_LENGTH, parse

MAX_SUB_LAYERS = 64


@dataclass(frozen=True, slots=True)
class Task:
    """What the network is for: input image channels and size, number of classes."""

    image_channels: int = 3
    resolution: int = 32
    classes: int = 10


@dataclass(frozen=True, slots=True)
class Budget:
    """Limits a valid architecture must respect; ``None`` means unlimited (channels and length are always capped)."""

    max_params: int | None = None
    max_flops: int | None = None
    max_depth: int | None = None
    max_channels: int = 4096
    max_length: int = MAX_TEXT_LENGTH
    max_blocks: int = 64


@dataclass(frozen=True, slots=True)
class Metrics:
    """Analytic size of a network with its head: parameters, multiply-accumulates, conv layers, activations."""

    params: int
    flops: int
    depth: int
    activations: int
    final_resolution: int


@dataclass(slots=True)
class ValidationReport:
    """The outcome of validating one string; never raises, always says why."""

    valid: bool
    canonical: str | None = None
    params: int | None = None
    flops: int | None = None
    depth: int | None = None
    activations: int | None = None
    errors: list[Issue] = field(default_factory=list)
    arch: Arch | None = None

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of ``phasenas validate --json``."""
        return {"valid": self.valid, "canonical": self.canonical, "params": self.params, "flops": self.flops,
                "errors": [{"code": e.code, "message": e.message, "position": e.position, "block": e.block}
                           for e in self.errors]}


def measure(arch: Arch, task: Task, budget: Budget = Budget(),
            allowed: Collection[str] | None = None) -> tuple[Metrics | None, list[Issue]]:
    """Check structure and budgets of a parsed architecture; return its metrics (None if not computable)."""
    issues: list[Issue] = []
    if not arch.blocks:
        return None, [Issue("empty", "no blocks")]
    if len(arch.blocks) > budget.max_blocks:
        return None, [Issue("too_many_blocks", f"{len(arch.blocks)} blocks; the limit is {budget.max_blocks}")]
    layer_cap = min(MAX_SUB_LAYERS, budget.max_depth or MAX_SUB_LAYERS)
    previous_out = task.image_channels
    for i, (name, args) in enumerate(arch.blocks):
        if not ((allowed is None or name in allowed) and args[2] in (1, 2) and min(args) >= 1
                and max(args) <= budget.max_channels and args[-1] <= layer_cap):  # fast path: all arguments fine
            issues.extend(_argument_issues(i, name, args, budget, allowed))
        if args[0] != previous_out:
            issues.append(_chain_issue(i, name, args[0], previous_out))
        previous_out = args[1]
    if any(issue.code not in ("input_channels", "channel_mismatch") for issue in issues):
        return None, issues

    params = flops = depth = activations = 0
    resolution = task.resolution
    for i, (name, args) in enumerate(arch.blocks):
        if resolution // args[2] < 1:
            issues.append(Issue("spatial_collapse", f"{name} downsamples a {resolution}x{resolution} map "
                                                    f"with stride {args[2]}: nothing is left before the head",
                                block=i))
            return None, issues
        p, m, a, d, resolution = BLOCKS[name].cost(args, resolution)
        params, flops, depth, activations = params + p, flops + m, depth + d, activations + a
    last = arch.blocks[-1].out_channels
    params += last * task.classes + task.classes
    flops += last * task.classes
    metrics = Metrics(params, flops, depth, activations, resolution)
    issues.extend(_check_budget(metrics, budget))
    return metrics, issues


def _chain_issue(i: int, name: str, in_channels: int, previous_out: int) -> Issue:
    if i == 0:
        return Issue("input_channels", f"the first block takes {in_channels} channels but images have "
                                       f"{previous_out}", block=0)
    return Issue("channel_mismatch", f"{name} takes {in_channels} channels but the block before outputs "
                                     f"{previous_out}", block=i)


def _argument_issues(i: int, name: str, args: tuple[int, ...], budget: Budget,
                     allowed: Collection[str] | None) -> list[Issue]:
    kind = BLOCKS[name]
    if allowed is not None and name not in allowed:
        return [Issue("block_not_in_space", f"{name} is not a block of this search space; use one of "
                                            f"{', '.join(sorted(allowed))}", block=i)]
    issues = []
    for value, arg in zip(args, kind.arg_names):
        if arg == "stride":
            if value not in (1, 2):
                issues.append(Issue("bad_stride", f"{name}: stride must be 1 or 2, got {value}", block=i))
        elif value < 1:
            issues.append(Issue("zero_argument", f"{name}: {arg} must be at least 1, got {value}", block=i))
        elif arg.endswith("channels") and value > budget.max_channels:
            issues.append(Issue("too_many_channels",
                                f"{name}: {arg}={value} exceeds the limit of {budget.max_channels}", block=i))
        elif arg == "sub_layers" and budget.max_depth is not None and value > budget.max_depth:
            issues.append(Issue("too_deep", f"{name}: {value} sub-layers exceed the depth limit {budget.max_depth}",
                                block=i))
        elif arg == "sub_layers" and value > MAX_SUB_LAYERS:
            issues.append(Issue("too_deep", f"{name}: {value} sub-layers; at most {MAX_SUB_LAYERS} per block",
                                block=i))
    return issues


def _check_budget(m: Metrics, budget: Budget) -> list[Issue]:
    issues = []
    if budget.max_params is not None and m.params > budget.max_params:
        issues.append(Issue("over_params", f"{m.params:,} parameters exceed the budget of {budget.max_params:,}"))
    if budget.max_flops is not None and m.flops > budget.max_flops:
        issues.append(Issue("over_flops", f"{m.flops:,} FLOPs (multiply-accumulates) exceed the budget of "
                                          f"{budget.max_flops:,}"))
    if budget.max_depth is not None and m.depth > budget.max_depth:
        issues.append(Issue("too_deep", f"{m.depth} conv layers exceed the depth budget of {budget.max_depth}"))
    return issues


def validate(text: str, task: Task = Task(), budget: Budget = Budget(),
             allowed: Collection[str] | None = None) -> ValidationReport:
    """Parse and check ``text``; the report lists every specific problem and, when valid, the canonical form."""
    try:
        arch = parse(text, max_length=budget.max_length)
    except ArchError as exc:
        return ValidationReport(valid=False, errors=exc.issues)
    return report_for(arch, task, budget, allowed)


def report_for(arch: Arch, task: Task, budget: Budget = Budget(),
               allowed: Collection[str] | None = None) -> ValidationReport:
    """Validate an already parsed architecture."""
    metrics, issues = measure(arch, task, budget, allowed)
    if metrics is None:
        return ValidationReport(valid=False, errors=issues, arch=arch)
    return ValidationReport(not issues, None if issues else str(arch), metrics.params, metrics.flops, metrics.depth,
                            metrics.activations, issues, arch)

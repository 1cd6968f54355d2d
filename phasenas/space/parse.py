"""Text -> ``Arch``: a small regular grammar, scanned with compiled regular expressions.

The grammar (whitespace is allowed between tokens; names are ASCII):

    arch  := block+
    block := NAME "(" INT ("," INT)* ")"
    NAME  := [A-Za-z][A-Za-z0-9]*        (a registered block, optionally prefixed "Super")
    INT   := [0-9]{1,9}

It is regular, so a compiled regex per token does the job of a parser generator at a fraction of the cost,
and every failure maps to one specific ``Issue`` with a character position. Nothing is evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from phasenas.space.arch import Arch, Block
from phasenas.space.blocks import ALIAS_PREFIX, BLOCKS
from phasenas.space.errors import ArchError, Issue

MAX_TEXT_LENGTH = 8192
MAX_INT_DIGITS = 9

_BLOCK = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)\s*\(([^()]*)\)\s*", re.ASCII)
_INT = re.compile(r"\s*([0-9]+)\s*", re.ASCII)
_PLAIN_ARGS = re.compile(r"[0-9]{1,%d}(?:,[0-9]{1,%d})*" % (MAX_INT_DIGITS, MAX_INT_DIGITS), re.ASCII)
_NUMBERISH = re.compile(r"\s*[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*", re.ASCII)


def canonical_block_name(name: str) -> str | None:
    """The registered spelling of a block name (accepting the Zen-NAS ``Super`` prefix), or None if unknown."""
    if name in BLOCKS:
        return name
    if name.startswith(ALIAS_PREFIX) and name[len(ALIAS_PREFIX):] in BLOCKS:
        return name[len(ALIAS_PREFIX):]
    return None


def parse(text: str, max_length: int = MAX_TEXT_LENGTH) -> Arch:
    """Parse an architecture string; raise ``ArchError`` listing every problem found (never anything else)."""
    if not isinstance(text, str):
        raise ArchError([Issue("not_text", f"expected a string, got {type(text).__name__}")])
    if len(text) > max_length:
        raise ArchError([Issue("too_long", f"text has {len(text)} characters; the limit is {max_length}",
                               position=max_length)])
    if not text.strip():
        raise ArchError([Issue("empty", "no blocks: an architecture is a sequence of Name(int,...) blocks",
                               position=0)])
    blocks: list[Block] = []
    issues: list[Issue] = []
    pos = index = 0
    end = len(text)
    match_block, plain_args = _BLOCK.match, _PLAIN_ARGS.fullmatch
    while pos < end:
        match = match_block(text, pos)
        if match is None:
            issues.append(_syntax_issue(text, pos, index))
            break
        name, raw_args = match.group(1, 2)
        kind = BLOCKS.get(name)
        if kind is not None and plain_args(raw_args) and raw_args.count(",") == kind.arity - 1:
            blocks.append(Block(name, tuple(map(int, raw_args.split(",")))))  # the common case, inline
        else:
            block, block_issues = _parse_block(match, index)  # aliases, spacing, and every kind of error
            issues.extend(block_issues)
            if block is not None:
                blocks.append(block)
        pos, index = match.end(), index + 1
    if issues:
        raise ArchError(issues)
    return Arch(tuple(blocks))


def _parse_block(match: re.Match[str], index: int) -> tuple[Block | None, Sequence[Issue]]:
    raw_name, raw_args = match.group(1), match.group(2)
    name_pos, args_pos = match.start(1), match.start(2)
    name = canonical_block_name(raw_name)
    if name is None:
        return None, [Issue("unknown_block", f"unknown block {raw_name!r}; known blocks: {_known_names()}",
                            position=name_pos, block=index)]
    kind = BLOCKS[name]
    if _PLAIN_ARGS.fullmatch(raw_args) and raw_args.count(",") == kind.arity - 1:
        return Block(name, tuple(map(int, raw_args.split(",")))), ()
    parts = raw_args.split(",")
    if len(parts) != kind.arity:
        return None, [Issue("wrong_arity",
                            f"{name} takes {kind.arity} arguments ({', '.join(kind.arg_names)}), got {len(parts)}",
                            position=args_pos, block=index)]
    args: list[int] = []
    issues: list[Issue] = []
    offset = args_pos
    for part, arg_name in zip(parts, kind.arg_names):
        value, issue = _parse_int(part, arg_name, name, offset, index)
        if issue is not None:
            issues.append(issue)
        else:
            args.append(value)
        offset += len(part) + 1
    if issues:
        return None, issues
    return Block(name, tuple(args)), []


def _parse_int(part: str, arg_name: str, block_name: str, position: int, index: int) -> tuple[int, Issue | None]:
    match = _INT.fullmatch(part)
    if match is not None:
        digits = match.group(1)
        if len(digits) > MAX_INT_DIGITS:
            return 0, Issue("argument_too_large", f"{block_name}: {arg_name} has {len(digits)} digits",
                            position=position, block=index)
        return int(digits), None
    stripped = part.strip()
    if stripped.startswith("-") and _NUMBERISH.fullmatch(part):
        return 0, Issue("negative_argument", f"{block_name}: {arg_name} is negative ({stripped[:20]})",
                        position=position, block=index)
    shown = stripped[:20] or "nothing"
    return 0, Issue("non_integer_argument", f"{block_name}: {arg_name} must be a non-negative integer, got {shown!r}",
                    position=position, block=index)


def _syntax_issue(text: str, pos: int, index: int) -> Issue:
    rest = text[pos:pos + 24]
    stripped = rest.lstrip()
    at = pos + len(rest) - len(stripped)
    if stripped[:1] and not stripped[:1].isascii():
        return Issue("non_ascii", f"non-ASCII character {stripped[0]!r}; blocks are ASCII names like ConvK3BNRELU",
                     position=at, block=index)
    return Issue("syntax", f"expected a block Name(int,...) at {stripped!r}", position=at, block=index)


def _known_names() -> str:
    families: dict[str, list[str]] = {}
    for kind in BLOCKS.values():
        families.setdefault(kind.family, []).append(kind.name)
    return ", ".join(f"{names[0]}..{names[-1]}" if len(names) > 2 else "/".join(names) for names in families.values())

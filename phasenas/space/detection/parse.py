"""Text -> ``DetArch``: the compact one-line form, the ultralytics model YAML, or a preset name.

Compact form (what prompts and canonical strings use)::

    [depth=0.33 width=0.25 max_channels=1024;] Conv(64,3,2) Conv(128,3,2) C2f(128,True)x3 ... Detect(15,18,21)

A layer is ``Module[@from](args)[xRepeats]``; ``from`` defaults to -1 (the previous layer). Concat and Detect
list their inputs in the parentheses instead: ``Concat(-1,6)``, ``Detect(15,18,21)``. Both forms are untrusted
input: the YAML goes through ``yaml.safe_load`` and only its layer rows are read; nothing is evaluated.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from phasenas.space.detection.layers import MODULES, Arg, DetArch, Layer, ModuleSpec
from phasenas.space.detection.presets import PRESETS
from phasenas.space.errors import ArchError, Issue

MAX_TEXT_LENGTH = 16384
MAX_LAYERS = 256  # parse-time cap; the space's budget sets the real limit
_NAMES = {name.lower(): name for name in MODULES} | {"nn.upsample": "Upsample"}
_HEADER = re.compile(r"\s*((?:(?:depth|width|max_channels)\s*=\s*[0-9.]+[\s,]*)+);", re.ASCII)
_HEADER_ITEM = re.compile(r"(depth|width|max_channels)\s*=\s*([0-9.]+)", re.ASCII)
_LAYER = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.]*)\s*(?:@\s*(-?[0-9]+)\s*)?\(([^()]*)\)(?:\s*[xX]\s*([0-9]+))?\s*,?",
                    re.ASCII)
_INT = re.compile(r"\s*(-?[0-9]{1,9})\s*", re.ASCII)
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_MAX_INT = 10**9  # arguments, repeats and indices beyond this are refused (compact form: at most 9 digits)


def looks_like_yaml(text: str) -> bool:
    return "backbone" in text and ":" in text and "\n" in text.strip()


def parse_detector(text: str, max_length: int = MAX_TEXT_LENGTH) -> DetArch:
    """Any accepted form -> ``DetArch``; raises ``ArchError`` listing what is wrong (syntax only)."""
    if not isinstance(text, str):
        raise ArchError([Issue("not_text", f"expected a string, got {type(text).__name__}")])
    if len(text) > max_length:
        raise ArchError([Issue("too_long", f"{len(text)} characters; at most {max_length}")])
    name = text.strip().lower()
    if name in PRESETS:
        return parse_compact(PRESETS[name])
    if looks_like_yaml(text):
        return parse_yaml(text)
    return parse_compact(text)


# --- compact form ------------------------------------------------------------------------------------------------
def parse_compact(text: str) -> DetArch:
    depth, width, cap, pos = _parse_header(text)
    layers: list[Layer] = []
    issues: list[Issue] = []
    while pos < len(text) and text[pos:].strip():
        match = _LAYER.match(text, pos)
        if match is None:
            issues.append(_syntax_issue(text, pos, len(layers)))
            break
        if len(layers) >= MAX_LAYERS:
            issues.append(Issue("too_many_layers", f"more than {MAX_LAYERS} layers", position=pos))
            break
        layer, found = _compact_layer(match, len(layers))
        issues.extend(found)
        if layer is not None:
            layers.append(layer)
        pos = match.end()
    if not layers and not issues:
        issues.append(Issue("empty", "no layers"))
    if issues:
        raise ArchError(issues)
    return DetArch(tuple(layers), depth, width, cap)


def _parse_header(text: str) -> tuple[float, float, int | None, int]:
    match = _HEADER.match(text)
    if match is None:
        return 1.0, 1.0, None, 0
    values: dict[str, str] = dict(_HEADER_ITEM.findall(match.group(1)))
    try:
        depth, width = float(values.get("depth", 1.0)), float(values.get("width", 1.0))
        cap = int(values["max_channels"]) if "max_channels" in values else None
    except ValueError as exc:
        raise ArchError([Issue("bad_header", f"unreadable multiple in {match.group(1).strip()!r}: {exc}",
                               position=0)]) from None
    _check_multiples(depth, width, cap)
    return depth, width, cap, match.end()


def _check_multiples(depth: float, width: float, cap: int | None) -> None:
    if not (0 < depth <= 4 and 0 < width <= 4) or (cap is not None and cap < 8):
        raise ArchError([Issue("bad_header", f"multiples must lie in (0, 4] and max_channels be at least 8; got "
                                             f"depth={depth:g}, width={width:g}, max_channels={cap}")])


def _compact_layer(match: re.Match[str], index: int) -> tuple[Layer | None, list[Issue]]:
    raw_name, source, raw_args, repeats = match.groups()
    spec, issue = _spec(raw_name, index, match.start(1))
    if spec is None:
        return None, [issue] if issue else []
    parts = raw_args.split(",") if raw_args.strip() else []
    n = int(repeats) if repeats else 1
    if spec.multi_input:
        if source is not None:
            return None, [Issue("syntax", f"{spec.name} lists its inputs in parentheses, not with @",
                                position=match.start(2), block=index)]
        sources, issues = _ints(parts, spec.name, "input", index, match.start(3), allow_negative=True)
        return (Layer(spec.name, tuple(sources), n, ()) if not issues else None), issues
    args, issues = _args(spec, parts, index, match.start(3))
    if issues:
        return None, issues
    return Layer(spec.name, (int(source) if source is not None else -1,), n, args), []


def _spec(raw_name: str, index: int, position: int) -> tuple[ModuleSpec | None, Issue | None]:
    name = _NAMES.get(raw_name.lower())
    if name is None:
        return None, Issue("unknown_module", f"unknown module {raw_name[:30]!r}; use one of "
                                             f"{', '.join(MODULES)}", position=position, block=index)
    return MODULES[name], None


def _ints(parts: list[str], module: str, what: str, index: int, position: int,
          allow_negative: bool) -> tuple[list[int], list[Issue]]:
    values, issues = [], []
    for part in parts:
        match = _INT.fullmatch(part)
        if match is None or (not allow_negative and match.group(1).startswith("-")):
            issues.append(Issue("bad_argument", f"{module}: {what} must be an integer, got {part.strip()[:20]!r}",
                                position=position, block=index))
        else:
            values.append(int(match.group(1)))
        position += len(part) + 1
    return values, issues


def _args(spec: ModuleSpec, parts: list[Any], index: int, position: int | None
          ) -> tuple[tuple[Arg, ...], list[Issue]]:
    """Check arity and types; fill defaults. ``parts`` are strings (compact) or YAML scalars."""
    if not spec.required <= len(parts) <= len(spec.arg_names):
        wanted = ", ".join(spec.arg_names)
        return (), [Issue("wrong_arity", f"{spec.name} takes {spec.required}-{len(spec.arg_names)} arguments "
                                         f"({wanted}), got {len(parts)}", position=position, block=index)]
    args: list[Arg] = []
    issues: list[Issue] = []
    for part, arg_name in zip(parts, spec.arg_names):
        value = _arg_value(part, arg_name in spec.bool_args)
        if value is None:
            kind = "True or False" if arg_name in spec.bool_args else "a non-negative integer"
            issues.append(Issue("bad_argument", f"{spec.name}: {arg_name} must be {kind}, got {str(part).strip()[:20]!r}",
                                position=position, block=index))
        else:
            args.append(value)
    args.extend(spec.defaults[len(args) - spec.required:])
    return tuple(args), issues


def _arg_value(part: Any, boolean: bool) -> Arg | None:
    if isinstance(part, bool):
        return part if boolean else None
    if isinstance(part, int):
        return (bool(part) if part in (0, 1) else None) if boolean else (part if 0 <= part < _MAX_INT else None)
    if not isinstance(part, str):
        return None
    text = part.strip()
    if boolean:
        return _BOOLS.get(text.lower())
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _syntax_issue(text: str, pos: int, index: int) -> Issue:
    rest = text[pos:pos + 30].strip()
    return Issue("syntax", f"expected a layer Module(args) such as Conv(64,3,2) or Concat(-1,6) at {rest!r}",
                 position=pos, block=index)


# --- ultralytics model YAML --------------------------------------------------------------------------------------
def parse_yaml(text: str) -> DetArch:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ArchError([Issue("yaml_syntax", f"not valid YAML: {str(exc).splitlines()[0]}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("backbone"), list) or not isinstance(
            data.get("head", []), list):
        raise ArchError([Issue("yaml_structure", "a model YAML needs 'backbone' and 'head' lists of "
                                                 "[from, repeats, module, args] rows")])
    depth, width, cap = _yaml_multiples(data)
    rows = data["backbone"] + (data.get("head") or [])
    if len(rows) > MAX_LAYERS:
        raise ArchError([Issue("too_many_layers", f"{len(rows)} layers; at most {MAX_LAYERS}")])
    layers: list[Layer] = []
    issues: list[Issue] = []
    for index, row in enumerate(rows):
        layer, found = _yaml_layer(row, index)
        issues.extend(found)
        if layer is not None:
            layers.append(layer)
    if not rows:
        issues.append(Issue("empty", "no layers"))
    if issues:
        raise ArchError(issues)
    return DetArch(tuple(layers), depth, width, cap)


def _yaml_multiples(data: dict[str, Any]) -> tuple[float, float, int | None]:
    """``scales`` (with ``scale`` or, as ultralytics does, the first entry) else depth/width_multiple."""
    scales = data.get("scales")
    try:
        if scales:
            if not isinstance(scales, dict):
                raise ValueError("scales must map a scale name to [depth, width, max_channels]")
            key = data.get("scale") or next(iter(scales))
            depth, width, cap = scales[key]
            result = float(depth), float(width), int(cap)
        else:
            result = float(data.get("depth_multiple", 1.0)), float(data.get("width_multiple", 1.0)), None
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchError([Issue("bad_header", f"unreadable scales or multiples: {exc}")]) from None
    _check_multiples(*result)
    return result


def _yaml_layer(row: Any, index: int) -> tuple[Layer | None, list[Issue]]:
    if not (isinstance(row, list) and len(row) == 4 and isinstance(row[2], str) and isinstance(row[3], list)):
        return None, [Issue("yaml_structure", f"layer {index}: expected [from, repeats, module, args], got "
                                              f"{str(row)[:60]}", block=index)]
    source, repeats, raw_name, raw_args = row
    spec, issue = _spec(raw_name, index, None)  # type: ignore[arg-type]
    if spec is None:
        return None, [issue] if issue else []
    sources = source if isinstance(source, list) else [source]
    if not sources or not all(isinstance(s, int) and not isinstance(s, bool) and abs(s) < _MAX_INT for s in sources):
        return None, [Issue("bad_argument", f"{spec.name}: from must be an integer or a list of integers",
                            block=index)]
    if not (isinstance(repeats, int) and not isinstance(repeats, bool) and 1 <= repeats < _MAX_INT):
        return None, [Issue("bad_argument", f"{spec.name}: repeats must be a positive integer", block=index)]
    if spec.multi_input:
        return Layer(spec.name, tuple(sources), repeats, ()), _multi_input_args(spec, raw_args, index)
    if len(sources) != 1:
        return None, [Issue("bad_argument", f"{spec.name} takes one input, got from={sources}", block=index)]
    if spec.name == "Upsample":
        return _upsample(raw_args, sources[0], repeats, index)
    args, issues = _args(spec, raw_args, index, None)
    return (Layer(spec.name, (sources[0],), repeats, args) if not issues else None), issues


def _multi_input_args(spec: ModuleSpec, raw_args: list[Any], index: int) -> list[Issue]:
    """Concat must join along channels ([1]); Detect's [nc] is replaced by the space's class count."""
    if spec.name == "Concat" and raw_args not in ([], [1]):
        return [Issue("bad_argument", f"Concat joins along channels: args must be [1], got {raw_args}", block=index)]
    return []


def _upsample(raw_args: list[Any], source: int, repeats: int, index: int) -> tuple[Layer | None, list[Issue]]:
    """``nn.Upsample [None, scale, "nearest"]`` -> ``Upsample(scale)``."""
    filled = [*raw_args, *[None, 2, "nearest"][len(raw_args):]]
    if len(filled) != 3 or filled[0] not in (None, "None") or filled[2] != "nearest" \
            or _arg_value(filled[1], False) is None:
        return None, [Issue("bad_argument", f"nn.Upsample takes [None, scale, \"nearest\"], got {raw_args}",
                            block=index)]
    return Layer("Upsample", (source,), repeats, (int(filled[1]),)), []

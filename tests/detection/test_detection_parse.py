import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasenas.space import ArchError
from phasenas.space.detection import PRESETS, DetArch, Layer
from phasenas.space.detection.export import to_ultralytics_yaml
from phasenas.space.detection.parse import parse_compact, parse_detector, parse_yaml

V8_YAML = """
# YOLOv8 (ultralytics cfg/models/v8/yolov8.yaml, layer rows as published)
nc: 80
scales:
  n: [0.33, 0.25, 1024]
  s: [0.33, 0.50, 1024]
backbone:
  - [-1, 1, Conv, [64, 3, 2]] # 0-P1/2
  - [-1, 1, Conv, [128, 3, 2]] # 1-P2/4
  - [-1, 3, C2f, [128, True]]
  - [-1, 1, Conv, [256, 3, 2]] # 3-P3/8
  - [-1, 6, C2f, [256, True]]
  - [-1, 1, Conv, [512, 3, 2]] # 5-P4/16
  - [-1, 6, C2f, [512, True]]
  - [-1, 1, Conv, [1024, 3, 2]] # 7-P5/32
  - [-1, 3, C2f, [1024, True]]
  - [-1, 1, SPPF, [1024, 5]] # 9
head:
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 6], 1, Concat, [1]] # cat backbone P4
  - [-1, 3, C2f, [512]] # 12
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 4], 1, Concat, [1]] # cat backbone P3
  - [-1, 3, C2f, [256]] # 15 (P3/8-small)
  - [-1, 1, Conv, [256, 3, 2]]
  - [[-1, 12], 1, Concat, [1]] # cat head P4
  - [-1, 3, C2f, [512]] # 18 (P4/16-medium)
  - [-1, 1, Conv, [512, 3, 2]]
  - [[-1, 9], 1, Concat, [1]] # cat head P5
  - [-1, 3, C2f, [1024]] # 21 (P5/32-large)
  - [[15, 18, 21], 1, Detect, [nc]] # Detect(P3, P4, P5)
"""


def test_yaml_and_compact_forms_parse_to_one_structure() -> None:
    from_yaml = parse_yaml(V8_YAML)  # no scale chosen: the first one (n), as ultralytics does
    from_compact = parse_detector("yolov8n")
    assert from_yaml == from_compact
    assert (from_yaml.depth, from_yaml.width, from_yaml.max_channels) == (0.33, 0.25, 1024)
    assert from_yaml.layers[2] == Layer("C2f", (-1,), 3, (128, True))
    assert from_yaml.layers[11] == Layer("Concat", (-1, 6), 1, ())
    assert from_yaml.layers[10] == Layer("Upsample", (-1,), 1, (2,))
    assert from_yaml.layers[-1] == Layer("Detect", (15, 18, 21), 1, ())


def test_yaml_scale_key_selects_the_scale() -> None:
    assert parse_yaml(V8_YAML + "scale: s\n") == parse_detector("yolov8s")


def test_defaults_are_filled_and_printed() -> None:
    arch = parse_compact("Conv(16) C2f(32) C3(32) Bottleneck(32) SPPF(32) Upsample() Concat(-1,0) Detect(1,2,3)")
    assert [layer.args for layer in arch.layers[:6]] == [(16, 1, 1), (32, False), (32, True), (32, True), (32, 5), (2,)]
    assert str(arch).startswith("Conv(16,1,1) C2f(32,False) C3(32,True) Bottleneck(32,True) SPPF(32,5) Upsample(2)")


def test_canonical_form_resolves_multiples_and_sources() -> None:
    resolved = parse_detector("yolov8n").resolved()
    text = str(resolved)
    assert text.startswith("Conv(16,3,2) Conv(32,3,2) C2f(32,True) Conv(64,3,2) C2f(64,True)x2 ")
    assert text.endswith("C2f(256,False) Detect(15,18,21)")
    assert resolved.is_resolved and parse_compact(text) == resolved      # canonical text parses to itself
    assert parse_compact(text).resolved() == resolved                   # and resolving again changes nothing
    # the same network written with other spellings: absolute previous-layer sources, case, commas, header
    respelled = text.replace("Concat(-1,6)", "Concat(10,6)").replace("C2f(32,True)", "c2f(32,true)")
    assert str(parse_compact("depth=1 width=1; " + respelled).resolved()) == text
    assert str(parse_compact(text.replace("Conv(16,3,2)", "Conv(13,3,2)")).resolved()) == text  # rounds up to 8


def test_width_and_channel_cap_round_up_to_multiples_of_8() -> None:
    # as ultralytics 8.3+ computes it: ceil(min(c, max_channels) * width / 8) * 8, for every scaled module
    arch = parse_compact("width=0.3 max_channels=100; Conv(80,3,2) Conv(64,3,2) C2f(1000) SPPF(20)")
    assert [layer.args[0] for layer in arch.resolved().layers] == [24, 24, 32, 8]


def test_repeats_follow_ultralytics_depth_rounding() -> None:
    arch = parse_compact("depth=0.67; C2f(64)x3 C2f(64)x6 C2f(64)x1 C2f(64)x2")
    assert [layer.repeats for layer in arch.resolved().layers] == [2, 4, 1, 1]


def test_preset_names_are_case_insensitive() -> None:
    assert parse_detector("  YOLOv8s ") == parse_detector("yolov8s")
    assert set(PRESETS) == {"yolov8n", "yolov8s", "yolov8m", "yolov8l", "yolov8x"}


@pytest.mark.parametrize(("text", "code"), [
    ("Conv(16,3,2) Foo(3) Detect(0,0,0)", "unknown_module"),
    ("Conv(16,3,2,1,1)", "wrong_arity"),
    ("SCDown(16)", "wrong_arity"),
    ("C2f(32,maybe)", "bad_argument"),
    ("Conv(-16,3,2)", "bad_argument"),
    ("Concat(-1,x)", "bad_argument"),
    ("Concat@3(-1,2)", "syntax"),
    ("Conv(16,3,2) ???", "syntax"),
    ("", "empty"),
    ("depth=9; Conv(16)", "bad_header"),
    ("backbone:\n  - [-1, 1, Conv, [16, 3, 2]\n", "yaml_syntax"),
    ("backbone:\n  - [-1, 1, Conv]\nhead: []\n", "yaml_structure"),
    ("backbone: 3\nhead: []\n", "yaml_structure"),
    ("backbone:\n  - [[-1, 2], 1, Conv, [16, 3, 2]]\nhead: []\n", "bad_argument"),
    ("backbone:\n  - [-1, 1, nn.Upsample, [None, 2, bilinear]]\nhead: []\n", "bad_argument"),
    ("backbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [[-1, 0], 1, Concat, [0]]\nhead: []\n", "bad_argument"),
    (f"backbone:\n  - [-1, 1, Conv, [{10**400}, 3, 2]]\nhead: []\n", "bad_argument"),
    (f"backbone:\n  - [-1, {10**400}, C2f, [16]]\nhead: []\n", "bad_argument"),
    (f"backbone:\n  - [{-10**400}, 1, C2f, [16]]\nhead: []\n", "bad_argument"),
])
def test_syntax_errors_are_specific(text: str, code: str) -> None:
    with pytest.raises(ArchError) as info:
        parse_detector(text)
    assert code in [issue.code for issue in info.value.issues]


def test_errors_name_the_layer() -> None:
    with pytest.raises(ArchError) as info:
        parse_detector("Conv(16,3,2) Conv(32,3,2) Foo(1)")
    assert info.value.issues[0].block == 2


def test_too_long_text_is_rejected_before_parsing() -> None:
    with pytest.raises(ArchError, match="too_long"):
        parse_detector("Conv(16,3,2) " * 2000, max_length=1000)


def test_export_round_trip() -> None:
    for name in ("yolov8n", "yolov8s"):
        arch = parse_detector(name)
        exported = to_ultralytics_yaml(arch)
        assert parse_detector(exported) == arch.resolved()
        assert "nc: 80" in exported and "[[15, 18, 21], 1, Detect, [nc]]" in exported


def test_export_writes_every_module() -> None:
    arch = parse_compact("Conv(16,3,2) SCDown(32,3,2) C3(32,False)x2 Bottleneck(32,True)x2 SPPF(32,3) "
                         "Upsample(2) Concat(-1,3) Detect(1,2,4)")
    assert parse_detector(to_ultralytics_yaml(arch, classes=3)) == arch.resolved()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_raises_only_arch_errors(text: str) -> None:
    try:
        arch = parse_detector(text)
    except ArchError:
        return
    assert isinstance(arch, DetArch)

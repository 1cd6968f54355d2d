import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasenas.space.detection import YoloSpace, to_ultralytics_yaml

V8N = ("Conv(16,3,2) Conv(32,3,2) C2f(32,True) Conv(64,3,2) C2f(64,True)x2 Conv(128,3,2) C2f(128,True)x2 "
       "Conv(256,3,2) C2f(256,True) SPPF(256,5) Upsample(2) Concat(-1,6) C2f(128,False) Upsample(2) Concat(-1,4) "
       "C2f(64,False) Conv(64,3,2) Concat(-1,12) C2f(128,False) Conv(128,3,2) Concat(-1,9) C2f(256,False) "
       "Detect(15,18,21)")


def codes(space: YoloSpace, text: str) -> list[str]:
    report = space.validate(text)
    assert report.valid == (not report.errors)
    return [issue.code for issue in report.errors]


def test_yolov8n_is_valid_and_canonical(yolo: YoloSpace) -> None:
    report = yolo.validate("yolov8n")
    assert report.valid and report.canonical == V8N and report.params == 3_157_200
    assert yolo.validate(V8N).canonical == V8N


@pytest.mark.parametrize(("old", "new", "code"), [
    ("Concat(-1,6)", "Concat(-1,60)", "from_out_of_range"),
    ("Concat(-1,6)", "Concat(-1,-40)", "from_out_of_range"),
    ("Concat(-1,4)", "Concat(-1,16)", "from_forward"),
    ("Concat(-1,4)", "Concat(-1,14)", "from_forward"),                  # itself
    ("SPPF(256,5)", "SPPF@30(256,5)", "from_out_of_range"),
    ("Detect(15,18,21)", "Detect(15,18,22)", "from_forward"),
])
def test_sources_must_exist_and_point_backwards(yolo: YoloSpace, old: str, new: str, code: str) -> None:
    assert code in codes(yolo, V8N.replace(old, new))


def test_repeated_module_must_keep_its_channels(unbudgeted: YoloSpace) -> None:
    # chained copies (ultralytics builds n identical modules in sequence) need in == out channels
    assert codes(unbudgeted, V8N.replace("C2f(32,True)", "Bottleneck(64,True)x2")) == ["channel_mismatch"]
    assert codes(unbudgeted, V8N.replace("Conv(64,3,2) C2f", "Conv(64,3,2)x2 C2f")) == ["channel_mismatch"]
    assert codes(unbudgeted, V8N.replace("C2f(32,True)", "Bottleneck(32,True)x2")) == []


def test_concat_inputs_must_have_one_size(yolo: YoloSpace) -> None:
    assert codes(yolo, V8N.replace("Concat(-1,6)", "Concat(-1,4)")) == ["concat_size_mismatch"]


@pytest.mark.parametrize(("old", "new"), [
    ("Detect(15,18,21)", "Detect(18,15,21)"),
    ("Detect(15,18,21)", "Detect(12,18,21)"),          # layer 12 is at stride 16
    ("Detect(15,18,21)", "Detect(2,18,21)"),           # stride 4
])
def test_detect_needs_strides_8_16_32(yolo: YoloSpace, old: str, new: str) -> None:
    assert codes(yolo, V8N.replace(old, new)) == ["detect_strides"]


def test_detect_needs_three_inputs_and_the_last_place(yolo: YoloSpace) -> None:
    assert codes(yolo, V8N.replace("Detect(15,18,21)", "Detect(15,18)")) == ["detect_inputs"]
    assert "no_detect" in codes(yolo, V8N.replace(" Detect(15,18,21)", ""))
    assert "detect_not_last" in codes(yolo, V8N + " Conv(16,3,1)")


@pytest.mark.parametrize(("old", "new", "code"), [
    ("Conv(16,3,2)", "Conv(16,4,2)", "bad_kernel"),
    ("Conv(16,3,2)", "Conv(16,3,3)", "bad_stride"),
    ("SPPF(256,5)", "SPPF(256,4)", "bad_kernel"),
    ("Upsample(2)", "Upsample(3)", "bad_scale"),
    ("C2f(32,True)", "C2f(0,True)", "zero_channels"),
    ("C2f(32,True)", "C2f(4096,True)", "too_many_channels"),
    ("C2f(32,True)", "C2f(32,True)x0", "bad_repeats"),
    ("C2f(32,True)", "C2f(32,True)x17", "bad_repeats"),
    ("Concat(-1,6)", "Concat(6)", "bad_inputs"),
])
def test_argument_errors(yolo: YoloSpace, old: str, new: str, code: str) -> None:
    assert code in codes(yolo, V8N.replace(old, new, 1))


def test_budgets_in_params_and_flops_at_the_image_size(yolo: YoloSpace) -> None:
    report = yolo.validate("yolov8s")
    assert [e.code for e in report.errors] == ["over_params", "over_flops"]
    assert report.params == 11_166_560 and "28.60 GFLOPs" in report.errors[1].message
    assert yolo.with_budget(max_params=12_000_000, max_flops=15_000_000_000).validate("yolov8s").valid
    assert [e.code for e in yolo.with_budget(max_params=3_000_000).validate("yolov8n").errors] == ["over_params"]
    # FLOPs are counted at the task's image size: a quarter at half the size, so v8s fits the budget at 320 px
    small = yolo.with_task(resolution=320).with_budget(max_params=None)
    assert small.validate("yolov8s").valid
    assert small.validate("yolov8s").flops * 4 == report.flops


def test_budget_messages_name_the_costliest_layers(yolo: YoloSpace) -> None:
    # the P3 neck block (layer 15, at 80x80) made 4x wider costs far more than any other layer
    wide = V8N.replace("C2f(64,False) Conv(64,3,2)", "C2f(256,False) Conv(64,3,2)")
    flops = next(e for e in yolo.validate(wide).errors if e.code == "over_flops").message
    assert "the costliest layers are layer 15 C2f(256,False) (" in flops
    assert "Detect head" in flops and "layers 15, 18, 21" in flops


def test_image_size_must_be_a_multiple_of_32(yolo: YoloSpace) -> None:
    assert codes(yolo.with_task(resolution=600), "yolov8n") == ["bad_resolution"]


def test_layer_count_budget(yolo: YoloSpace) -> None:
    assert "too_many_layers" in codes(yolo.with_budget(max_blocks=10), "yolov8n")


def test_class_count_changes_the_head(yolo: YoloSpace) -> None:
    def class_branches(classes: int) -> int:  # v8n's class branch is max(64, min(classes, 100)) channels wide
        width = max(64, min(classes, 100))
        return sum(c * width * 9 + width * width * 9 + 4 * width + width * classes + classes for c in (64, 128, 256))

    one = yolo.with_task(classes=1).validate("yolov8n").params
    assert yolo.validate("yolov8n").params - one == class_branches(80) - class_branches(1)


def test_validate_never_raises_on_junk(yolo: YoloSpace) -> None:
    for text in ["", "   ", "yolov9z", "{", "backbone:\n" + "[" * 5000, "Detect(" * 100, "\x00\ud800"]:
        assert not yolo.validate(text).valid


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_validate_never_raises_on_edited_detectors(yolo: YoloSpace, data: st.DataObject) -> None:
    """Random edits of a valid compact string and of a valid YAML: a report, never an exception."""
    source = data.draw(st.sampled_from([V8N, to_ultralytics_yaml(yolo.parse("yolov8n"))]))
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 12)))
    insert = data.draw(st.text(alphabet="0123456789-,()[]:@x TrueFalsConcatDet\n", max_size=8))
    report = yolo.validate(source[:start] + insert + source[end:])
    assert report.valid == (not report.errors)
    if report.valid:
        assert yolo.validate(report.canonical).canonical == report.canonical

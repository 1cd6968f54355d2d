import tracemalloc

import pytest

from phasenas.space import Budget, Task, get_space, validate

GOOD = "ConvK3BNRELU(3,32,1,1)ResK1K3K1(32,64,2,16,2)ResIDWE6K5(64,96,2,32,1)ConvK1BNRELU(96,512,1,1)"


def codes(text: str, **kw: object) -> list[str]:
    return [i.code for i in validate(text, **kw).errors]  # type: ignore[arg-type]


def test_valid_network_reports_metrics() -> None:
    report = validate(GOOD)
    assert report.valid and report.errors == []
    assert report.canonical == GOOD
    assert report.params > 0 and report.flops > 0 and report.depth == 1 + 12 + 6 + 1


@pytest.mark.parametrize("text, kwargs, code", [
    ("ConvK3BNRELU(4,32,1,1)", {}, "input_channels"),
    ("ConvK3BNRELU(3,32,1,1)ConvK3BNRELU(16,32,1,1)", {}, "channel_mismatch"),
    ("ConvK3BNRELU(3,32,3,1)", {}, "bad_stride"),
    ("ConvK3BNRELU(3,32,0,1)", {}, "bad_stride"),
    ("ConvK3BNRELU(3,0,1,1)", {}, "zero_argument"),
    ("ConvK3BNRELU(3,32,1,0)", {}, "zero_argument"),
    ("ConvK3BNRELU(3,32,2,1)" * 1 + "ConvK3BNRELU(32,32,2,1)" * 5 + "ConvK3BNRELU(32,32,2,1)", {}, "spatial_collapse"),
    (GOOD, {"budget": Budget(max_params=1000)}, "over_params"),
    (GOOD, {"budget": Budget(max_flops=1000)}, "over_flops"),
    (GOOD, {"budget": Budget(max_depth=10)}, "too_deep"),
    ("ConvK3BNRELU(3,32,1,100)", {}, "too_deep"),
    ("ConvK3BNRELU(3,999999999,1,1)", {}, "too_many_channels"),
    (GOOD, {"budget": Budget(max_length=20)}, "too_long"),
    ("ConvK3BNRELU(3,8,1,1)" + "ConvK3BNRELU(8,8,1,1)" * 70, {}, "too_many_blocks"),
    ("Foo(1)", {}, "unknown_block"),
])
def test_validation_error_codes(text: str, kwargs: dict, code: str) -> None:
    report = validate(text, **kwargs)
    assert not report.valid and report.canonical is None
    assert code in [i.code for i in report.errors], report.errors


def test_spatial_collapse_respects_resolution() -> None:
    eight_strides = "ConvK3BNRELU(3,8,2,1)" + "ConvK3BNRELU(8,8,2,1)" * 7
    assert "spatial_collapse" in codes(eight_strides, task=Task(resolution=32))
    assert validate(eight_strides, task=Task(resolution=256)).valid


def test_classes_change_the_head() -> None:
    ten = validate(GOOD, task=Task(classes=10)).params
    hundred = validate(GOOD, task=Task(classes=100)).params
    assert hundred - ten == 90 * 512 + 90


def test_block_outside_the_space_is_named() -> None:
    report = get_space("zen-cifar").validate("ConvK3BNRELU(3,32,1,1)MB3K3(32,32,1)")
    assert [i.code for i in report.errors] == ["block_not_in_space"]
    assert report.errors[0].block == 1


@pytest.mark.parametrize("text", ["x" * 1_000_000, "Ω" * 1_000_000, "ConvK3BNRELU(3,1000000000,1,1)",
                                  "ConvK3BNRELU(3,999999999,1,1)ResK3K3(999999999,999999999,1,999999999,64)"])
def test_adversarial_strings_are_rejected_without_allocating(text: str) -> None:
    tracemalloc.start()
    report = validate(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not report.valid
    assert peak < 64 * 1024  # no tensors, no expansion: a few small objects at most


def test_report_json_shape() -> None:
    data = validate("ConvK3BNRELU(3,32,3,1)").to_dict()
    assert set(data) == {"valid", "canonical", "params", "flops", "errors"}
    assert set(data["errors"][0]) >= {"code", "message", "position"}

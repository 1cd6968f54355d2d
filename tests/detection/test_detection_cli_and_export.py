import orjson
import pytest
from typer.testing import CliRunner

from phasenas.cli import app
from phasenas.space.detection import YoloSpace, to_ultralytics_yaml

runner = CliRunner()
WITH_SCDOWN_AND_C3 = (
    "Conv(16,3,2) SCDown(32,3,2) C3(32,True)x2 Conv(64,3,2) C2f(64,True)x2 SCDown(128,3,2) C2f(128,True)x2 "
    "Conv(256,3,2) C3(256,True) SPPF(256,5) Upsample(2) Concat(-1,6) C2f(128,False) Upsample(2) Concat(-1,4) "
    "C2f(64,False) Conv(64,3,2) Concat(-1,12) C2f(128,False) SCDown(128,3,2) Concat(-1,9) C2f(256,False) "
    "Detect(15,18,21)"
)


def test_validate_cli_prints_params_and_flops_of_a_preset() -> None:
    result = runner.invoke(app, ["validate", "--space", "yolo", "yolov8n", "--json"])
    assert result.exit_code == 0, result.stdout
    data = orjson.loads(result.stdout)
    assert data["valid"] and data["params"] == 3_157_200 and data["flops"] == 4_371_456_000
    assert data["canonical"].endswith("Detect(15,18,21)")


def test_validate_cli_budget_errors_for_a_larger_preset() -> None:
    result = runner.invoke(app, ["validate", "--space", "yolo", "yolov8s", "--json"])
    assert result.exit_code == 1
    assert [e["code"] for e in orjson.loads(result.stdout)["errors"]] == ["over_params", "over_flops"]
    result = runner.invoke(app, ["validate", "--space", "yolo", "yolov8s", "--max-params", "12000000",
                                 "--max-flops", "15000000000", "--json"])
    assert result.exit_code == 0 and orjson.loads(result.stdout)["params"] == 11_166_560


def test_ultralytics_builds_the_exported_yaml_with_our_parameter_count(tmp_path, unbudgeted: YoloSpace) -> None:
    """Runs where the optional ``ultralytics`` package imports (it needs a torchvision matching torch)."""
    ultralytics = pytest.importorskip("ultralytics")
    for text in ("yolov8n", WITH_SCDOWN_AND_C3):
        arch = unbudgeted.parse(text)
        path = tmp_path / "found.yaml"
        path.write_text(to_ultralytics_yaml(arch))
        model = ultralytics.YOLO(str(path)).model
        assert sum(p.numel() for p in model.parameters()) == unbudgeted.check(arch).params

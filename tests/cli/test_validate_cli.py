import subprocess
import sys

import orjson
from typer.testing import CliRunner

from phasenas.cli import app

runner = CliRunner()
GOOD = "ConvK3BNRELU(3,32,1,1)ResK1K3K1(32,64,2,16,2)ConvK1BNRELU(64,512,1,1)"


def test_valid_json() -> None:
    result = runner.invoke(app, ["validate", GOOD, "--json"])
    assert result.exit_code == 0
    data = orjson.loads(result.stdout)
    assert data["valid"] and data["canonical"] == GOOD and data["params"] == 59_754 and data["errors"] == []


def test_invalid_json_has_codes_and_exit_1() -> None:
    result = runner.invoke(app, ["validate", "ConvK3BNRELU(4,32,3,1)", "--json"])
    assert result.exit_code == 1
    data = orjson.loads(result.stdout)
    assert not data["valid"] and {e["code"] for e in data["errors"]} == {"bad_stride", "input_channels"}


def test_macro_code_and_budgets() -> None:
    result = runner.invoke(app, ["validate", "22212202", "--space", "macro", "--json"])
    assert result.exit_code == 0 and orjson.loads(result.stdout)["canonical"].endswith("Skip(256,256,1)"
                                                                                         "ConvK1BNRELU(256,1280,1,1)")
    result = runner.invoke(app, ["validate", "22212202", "--space", "macro", "--max-params", "1000", "--json"])
    assert result.exit_code == 1 and orjson.loads(result.stdout)["errors"][0]["code"] == "over_params"


def test_classes_and_resolution_options() -> None:
    ten = orjson.loads(runner.invoke(app, ["validate", GOOD, "--json"]).stdout)["params"]
    hundred = orjson.loads(runner.invoke(app, ["validate", GOOD, "--json", "--classes", "100"]).stdout)["params"]
    assert hundred - ten == 90 * 513
    flops_64 = orjson.loads(runner.invoke(app, ["validate", GOOD, "--json", "--resolution", "64"]).stdout)["flops"]
    assert flops_64 > 3 * orjson.loads(runner.invoke(app, ["validate", GOOD, "--json"]).stdout)["flops"]


def test_usage_errors_exit_2_without_traceback() -> None:
    for args in (["validate", GOOD, "--space", "nope"], ["validate", GOOD, "--classes", "0"], ["validate"]):
        result = subprocess.run([sys.executable, "-m", "phasenas", *args], capture_output=True, text=True)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr + result.stdout


def test_human_output() -> None:
    result = runner.invoke(app, ["validate", "ConvK3BNRELU(3,32,1,1)Foo(1)"])
    assert result.exit_code == 1 and "[unknown_block]" in result.stdout

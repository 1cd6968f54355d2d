"""``phasenas score``: JSON shape, exit codes, cache reuse."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from phasenas.cli import app

runner = CliRunner()
MACRO = ["--space", "macro", "--resolution", "16", "--batch-size", "4"]


def test_scores_a_macro_code_as_json():
    result = runner.invoke(app, ["score", "22212202", *MACRO, "--json"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert set(data) == {"canonical", "proxy", "score", "seconds", "error"}
    assert data["proxy"] == "naswot" and data["error"] is None and data["score"] > 0
    assert data["canonical"].endswith("MB6K5(256,256,1)Skip(256,256,1)ConvK1BNRELU(256,1280,1,1)")


def test_cannot_score_exits_1_without_traceback():
    result = runner.invoke(app, ["score", "2221x220", *MACRO, "--json"])
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["error"] == "invalid"
    assert "Traceback" not in result.output


def test_usage_errors_exit_2():
    assert runner.invoke(app, ["score", "22212220", *MACRO, "--proxy", "bogus"]).exit_code == 2
    assert runner.invoke(app, ["score", "22212220", "--space", "nope"]).exit_code == 2
    assert runner.invoke(app, ["score", "22212220", "--space", "macro", "--batch-size", "1"]).exit_code == 2


def test_second_run_is_a_cache_hit(tmp_path):
    args = ["score", "11101100", *MACRO, "--proxy", "zen", "--cache-dir", str(tmp_path), "--json"]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == second.exit_code == 0
    a, b = orjson.loads(first.stdout), orjson.loads(second.stdout)
    assert a["score"] == b["score"] and "cached" in runner.invoke(app, args[:-1]).stdout

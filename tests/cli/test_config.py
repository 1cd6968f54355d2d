import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from phasenas.cli import app
from phasenas.config_file import ConfigError, env_overrides, load_search_config

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "phasenas.toml"
    path.write_text(text)
    return path


def test_example_config_is_valid_and_annotated() -> None:
    example = ROOT / "phasenas.example.toml"
    config = load_search_config(example, environ={})
    assert config.space == "macro" and config.budget.evaluations == 32
    assert example.read_text().count("#") > 40


def test_partial_tables_keep_defaults(tmp_path: Path) -> None:
    config = load_search_config(write(tmp_path, "[explorer]\ntemperature = 0.5\n"), environ={})
    assert config.explorer.temperature == 0.5
    assert config.explorer.model == load_search_config(environ={}).explorer.model


def test_model_spec_is_replaced_whole(tmp_path: Path) -> None:
    path = write(tmp_path, '[refiner.model]\nprovider = "openai"\nmodel = "gpt-4o-mini"\n')
    assert load_search_config(path, environ={}).refiner.model == {"provider": "openai", "model": "gpt-4o-mini"}


def test_precedence_file_env_flags(tmp_path: Path) -> None:
    path = write(tmp_path, 'space = "zen-cifar"\n[budget]\nevaluations = 10\n')
    env = {"PHASENAS_BUDGET__EVALUATIONS": "20", "PHASENAS_NBM_TABLE": "/not/config", "HOME": "/x"}
    assert load_search_config(path, environ=env).budget.evaluations == 20
    assert load_search_config(path, {"budget.evaluations": 30}, environ=env).budget.evaluations == 30
    assert load_search_config(path, environ=env).space == "zen-cifar"


def test_env_overrides_skip_non_config_variables() -> None:
    assert env_overrides({"PHASENAS_NBM_TABLE": "x", "PHASENAS_MODEL_DIR": "y", "PHASENAS_SEED": "3"}) == {"seed": 3}


@pytest.mark.parametrize("text, expected", [
    ('[thresholds]\nmode = "magic"\n', "config error: thresholds.mode: Input should be 'fixed' or 'auto' (got 'magic')"),
    ("[budget]\nevaluations = 0\n", "config error: budget.evaluations: Input should be greater than or equal to 1"),
    ("[budget]\nevalutions = 3\n", "config error: budget.evalutions: unknown key; allowed keys here: cost_usd, "
                                   "evaluations, llm_calls, tokens, wall_seconds"),
    ("spaec = 'macro'\n", "config error: spaec: unknown key; allowed keys here:"),
    ("[budget\n", "is not valid TOML"),
])
def test_bad_config_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_search_config(write(tmp_path, text), environ={})
    assert expected in str(info.value)
    assert len(str(info.value).splitlines()) == 1


def test_config_show_prints_effective_config(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config", "--show", "--config", str(write(tmp_path, "seed = 7\n"))])
    assert result.exit_code == 0
    assert orjson.loads(result.stdout)["seed"] == 7


@pytest.mark.parametrize("args", [
    ["config", "--config", "{bad}"],
    ["search", "--config", "{bad}"],
    ["trace", "no-such-run", "--runs-dir", "{runs}"],
    ["report", "no-such-run", "--runs-dir", "{runs}"],
    ["resume", "no-such-run", "--runs-dir", "{runs}"],
    ["replay", "no-such-run", "--runs-dir", "{runs}"],
    ["export", "no-such-run", "--runs-dir", "{runs}"],
    ["search", "--budget-evals", "0"],
])
def test_usage_errors_exit_2_with_one_clear_line(tmp_path: Path, args: list[str]) -> None:
    bad = write(tmp_path, "[thresholds]\nmode = 'magic'\n")
    args = [a.format(bad=bad, runs=tmp_path / "runs") for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (args, result.output)
    assert isinstance(result.exception, SystemExit)  # no other exception escaped
    assert "no-such-run" in result.stderr or "config error" in result.stderr or "Invalid value" in result.stderr


def test_as_a_subprocess_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "phasenas", "trace", "missing", "--runs-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no run 'missing'") and "Traceback" not in result.stderr


def test_every_command_has_help() -> None:
    for command in ["validate", "score", "search", "resume", "replay", "config", "runs", "trace", "report",
                    "export", "train"]:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout, command

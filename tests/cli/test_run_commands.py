"""The run commands end to end, as a user runs them: a real short search on the embedded small model (llama.cpp,
grammar-constrained) through the `phasenas` executable, then runs / trace / report / export / replay / resume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytest.importorskip("llama_cpp", reason="the local provider needs llama-cpp-python (pip install 'phasenas[local]')")

from phasenas.llm.errors import ModelNotInstalled  # noqa: E402
from phasenas.llm.packaged import resolve_model_path  # noqa: E402

RUN_ID = "cli-run"
CONFIG = """
space = "macro"
seed = 3
[explorer]
model = { provider = "local", model = "smollm2-135m-instruct" }
prompt = "explore@2"
proposals = 3
max_tokens = 160
[refiner]
model = { provider = "local", model = "smollm2-135m-instruct" }
proposals = 2
max_tokens = 160
[thresholds]
gamma_trans = -1e9          # switch to refining as soon as something is scored
[budget]
evaluations = 7
llm_calls = 80             # a safety net: a model that only repeats itself cannot loop forever
[scoring]
proxy = "naswot"
batch_size = 8
workers = 1
"""


def phasenas(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "phasenas", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory, nbm_table_path: Path) -> tuple[Path, dict[str, str], dict]:
    try:
        resolve_model_path("smollm2-135m-instruct")
    except ModelNotInstalled as exc:
        pytest.skip(str(exc))
    root = tmp_path_factory.mktemp("cli")
    (root / "phasenas.toml").write_text(CONFIG)
    env = {**os.environ, "PHASENAS_NBM_TABLE": str(nbm_table_path)}
    result = phasenas("search", "--config", str(root / "phasenas.toml"), "--runs-dir", str(root / "runs"),
                      "--run-id", RUN_ID, "--json", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "runs", env, orjson.loads(result.stdout.strip().splitlines()[-1])


def test_search_prints_best_with_benchmark_accuracy(cli_run) -> None:
    runs, _, data = cli_run
    assert data["run_id"] == RUN_ID and data["stop_reason"] == "budget:evaluations"
    assert data["best"].startswith("ConvK3BNRELU(3,32,1,1)") and data["score"] is not None
    assert 80.0 < data["accuracy"] < 94.0 and 1 <= data["rank"] <= 6561
    assert data["switched_at_step"] is not None and data["phase"] == "refine"


def test_run_directory_layout_and_structured_events(cli_run) -> None:
    runs, _, _ = cli_run
    run = runs / RUN_ID
    for name in ("config.json", "run.sqlite", "checkpoints.sqlite", "events.jsonl"):
        assert (run / name).is_file(), name
    events = [orjson.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert {"search.started", "search.finished"} <= {e["event"] for e in events}
    assert all("timestamp" in e and "level" in e for e in events)


def test_runs_lists_the_run(cli_run) -> None:
    runs, env, _ = cli_run
    result = phasenas("runs", "--runs-dir", str(runs), "--json", env=env)
    assert result.returncode == 0
    (row,) = orjson.loads(result.stdout)
    assert row["id"] == RUN_ID and row["status"] == "finished" and row["evaluations"] >= 7


def test_trace_shows_every_step_and_the_phase_switch(cli_run) -> None:
    runs, env, _ = cli_run
    result = phasenas("trace", RUN_ID, "--runs-dir", str(runs), "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = orjson.loads(result.stdout)
    nodes = {r["node"] for r in rows}
    assert {"explorer", "refiner", "validator", "scorer"} <= nodes
    explorer = next(r for r in rows if r["node"] == "explorer")
    assert explorer["models"] and explorer["prompts"] == ["explore@2"] and explorer["tokens"] > 0
    assert any("phase.switched" in r["events"] for r in rows)
    validators = [r for r in rows if r["node"] == "validator"]
    assert sum(r["valid"] + r["invalid"] + r["duplicate"] for r in validators) >= 7
    only_refine = orjson.loads(phasenas("trace", RUN_ID, "--runs-dir", str(runs), "--json", "--phase", "refine",
                                        env=env).stdout)
    assert only_refine and all(r["phase"] == "refine" for r in only_refine)


def test_trace_show_step_gives_the_llm_exchange(cli_run) -> None:
    runs, env, _ = cli_run
    exchanges = orjson.loads(phasenas("trace", RUN_ID, "--runs-dir", str(runs), "--show", "1", "--json",
                                      env=env).stdout)
    assert exchanges and exchanges[0]["messages"] and exchanges[0]["response"]
    assert exchanges[0]["prompt"] == "explore@2"


def test_report_renders_html_and_valid_pngs(cli_run, tmp_path: Path) -> None:
    from PIL import Image

    runs, env, _ = cli_run
    result = phasenas("report", RUN_ID, "--runs-dir", str(runs), "--out", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text()
    assert "Top 10" in page and "data:image/png;base64," in page and "accuracy" in page
    pngs = sorted(tmp_path.glob("*.png"))
    assert {p.name for p in pngs} == {"progress.png", "phases.png", "accuracy.png"}
    for png in pngs:
        with Image.open(png) as image:
            image.verify()
            assert image.format == "PNG"


@pytest.mark.parametrize("fmt", ["torch", "onnx"])
def test_export_loads_and_runs(cli_run, tmp_path: Path, fmt: str) -> None:
    import torch

    runs, env, data = cli_run
    out = tmp_path / f"best.{fmt}"
    result = phasenas("export", RUN_ID, "--runs-dir", str(runs), "--format", fmt, "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    if fmt == "torch":
        module = torch.export.load(out).module()
        assert module(torch.randn(1, 3, 32, 32)).shape == (1, 10)
    else:
        onnx = pytest.importorskip("onnx")
        onnx.checker.check_model(onnx.load(out))


def test_replay_matches_without_llm(cli_run) -> None:
    runs, env, _ = cli_run
    result = phasenas("replay", RUN_ID, "--runs-dir", str(runs), "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    data = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert data["matched"] is True and data["differences"] == []


def test_resume_of_a_finished_run_returns_its_result(cli_run) -> None:
    runs, env, data = cli_run
    result = phasenas("resume", RUN_ID, "--runs-dir", str(runs), "--json", "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout.strip().splitlines()[-1])["best"] == data["best"]

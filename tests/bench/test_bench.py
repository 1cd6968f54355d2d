"""The benchmark harness on the real NAS-Bench-Macro table, with scripted agents (no LLM) and table feedback."""

from __future__ import annotations

import statistics
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from phasenas.bench.aggregate import load_results, markdown
from phasenas.bench.baselines import evolution, random_search
from phasenas.bench.methods import METHODS, graph_config
from phasenas.bench.metrics import grade, prefix
from phasenas.bench.runner import BenchSettings, run_bench
from phasenas.bench.table_proxy import TABLE_PROXY, load_table, true_accuracy
from phasenas.bench.trajectory import from_run_store
from phasenas.cli import app
from phasenas.config import AgentSettings, SearchConfig
from phasenas.llm.replay import RUN_STORE_FILE
from phasenas.scoring import ScoreResult, ScoringQueue
from phasenas.space import get_space
from phasenas.space.macro import TABLE_ENV
from phasenas.store import NodeRecord, RunStore
from tests.graph.fakes import sampler
from tests.graph.test_store import evaluation

SPACE = get_space("macro")


def table_scorer(table_path: Path):  # type: ignore[no-untyped-def]
    """Table feedback without a queue: the baselines only need `score_many`."""
    table = load_table(str(table_path))

    async def score(archs: list[str]) -> list[ScoreResult]:
        return [ScoreResult(a, "t", true_accuracy(a, table)[0], None, 0.0) for a in archs]

    return score


def scripted_base() -> SearchConfig:
    return SearchConfig(
        explorer=AgentSettings(model=sampler(model="small"), prompt="explore@1", temperature=0.9, proposals=4),
        refiner=AgentSettings(model=sampler(model="large"), prompt="refine@1", temperature=0.3, proposals=2))


async def test_table_proxy_scores_the_table_accuracy_in_process(nbm_table_path: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TABLE_ENV, str(nbm_table_path))
    table = load_table(str(nbm_table_path))
    async with ScoringQueue(space="macro", proxy=TABLE_PROXY, cache_dir=tmp_path, workers=1) as queue:
        same = await queue.score_many(["22212220", "22212202"])  # one network, two spellings
        best = await queue.score("22222222")
    assert same[0].score == same[1].score == table.accuracy("22212220")
    assert best.score == pytest.approx(92.95333, abs=1e-4) and table.rank("22222222") == 21
    assert not best.cached and best.seconds < 0.5  # analytic: no worker, no cache


@pytest.mark.parametrize("search", [random_search, evolution])
async def test_baselines_score_distinct_architectures_and_pick_the_feedback_argmax(nbm_table_path: Path,
                                                                                   search) -> None:  # type: ignore[no-untyped-def]
    traj = await search(SPACE, table_scorer(nbm_table_path), 60, seed=3)
    canonicals = [p.canonical for p in traj.points]
    assert len(canonicals) == len(set(canonicals)) == 60
    assert traj.pick == max(traj.points, key=lambda p: p.score).canonical  # type: ignore[arg-type,return-value]


async def test_evolution_with_table_feedback_beats_random_search(nbm_table_path: Path) -> None:
    table = load_table(str(nbm_table_path))
    scorer = table_scorer(nbm_table_path)
    ranks = {name: [grade(await fn(SPACE, scorer, 200, seed=s), table)["pick_rank"] for s in range(3)]
             for name, fn in (("random", random_search), ("evolution", evolution))}
    assert statistics.median(ranks["evolution"]) < statistics.median(ranks["random"])


async def test_a_budget_prefix_of_a_baseline_equals_the_shorter_run(nbm_table_path: Path) -> None:
    table = load_table(str(nbm_table_path))
    scorer = table_scorer(nbm_table_path)
    long, short = await evolution(SPACE, scorer, 80, seed=1), await evolution(SPACE, scorer, 40, seed=1)
    cut = grade(prefix(long, 40), table)
    direct = grade(short, table)
    for key in ("pick", "pick_rank", "best_rank", "first_top10", "evaluations"):
        assert cut[key] == direct[key]


async def test_grade_reports_the_first_rank_10_and_a_monotone_curve(nbm_table_path: Path) -> None:
    table = load_table(str(nbm_table_path))
    traj = await evolution(SPACE, table_scorer(nbm_table_path), 150, seed=0)
    m = grade(traj, table)
    accs = [acc for _, acc in m["curve"]]
    assert accs == sorted(accs) and accs[-1] == m["best_acc"]
    assert m["pick_score"] == max(p.score for p in traj.points if p.score is not None)  # table feedback: its accuracy
    if m["first_top10"] is not None:
        i = m["first_top10"]["evaluation"]
        assert true_accuracy(traj.points[i - 1].canonical, table)[1] <= 10
        assert all(true_accuracy(p.canonical, table)[1] > 10 for p in traj.points[: i - 1])


def test_static_large_uses_the_refiner_model_from_the_first_step() -> None:
    base = scripted_base()
    config = graph_config(METHODS["static-large"], base, "table", proxy=TABLE_PROXY, budget=10, seed=0, run_id="x")
    assert config.explorer.model == base.refiner.model and config.explorer.proposals == base.refiner.proposals
    small = graph_config(METHODS["static-small"], base, "proxy", proxy="naswot", budget=10, seed=0, run_id="y")
    assert small.thresholds.stuck_steps == 0 and small.scoring.proxy == "naswot" and small.budget.evaluations == 10
    SearchConfig.from_snapshot(config.snapshot())  # the run directory's snapshot round-trips (no infinities)


async def test_graph_methods_run_with_table_feedback(nbm_table_path: Path, tmp_path: Path) -> None:
    settings = BenchSettings(table=nbm_table_path, out=tmp_path, seeds=1, budgets=(16,),
                             methods=("static-small", "static-large", "phasenas", "phasenas-auto"),
                             feedback=("table",), base=scripted_base())
    written = await run_bench(settings)
    assert len(written) == 4
    results = {r["method"]: r for r in load_results(tmp_path)}
    table = load_table(str(nbm_table_path))
    for name, r in results.items():
        assert r["evaluations"] == 16, name
        assert r["pick_acc"] == table.accuracy(r["pick"] if len(r["pick"]) == 8
                                               else SPACE.to_code(SPACE.parse(r["pick"])))  # type: ignore[attr-defined]
        assert r["pick_acc"] == r["best_acc"]  # table feedback: the argmax is the best in the pool
    assert set(results["static-small"]["phases"]) == {"explore"}
    for r in results.values():  # the per-phase keys that aggregate.py and earlier results read
        keys = {"evaluations", "neighbours", "llm_calls", "tokens", "wall_s"}  # results before 'neighbours' lack it
        assert all(set(u) == keys for u in r["phases"].values())
        assert sum(u["evaluations"] for u in r["phases"].values()) == r["evaluations"]
        assert sum(u["llm_calls"] for u in r["phases"].values()) == r["llm_calls"] > 0
    with RunStore(tmp_path / "runs" / "table-static-large-b16-s0" / RUN_STORE_FILE) as store:
        assert {c.model for c in store.llm_calls()} == {"fake:large"}
    assert results["static-large"]["phases"]["refine"]["evaluations"] > 0
    assert "| phasenas |" in markdown(load_results(tmp_path))
    assert await run_bench(settings) == []  # finished cells are kept, not rerun


def test_cli_writes_results_report_and_plot(nbm_table_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["bench", "macro", "--table", str(nbm_table_path), "--seeds", "2", "--budget-evals", "20",
            "--budget-evals", "40", "--methods", "random,evolution", "--feedback", "table", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(list((out / "results" / "table").glob("*/*.json"))) == 8
    row = orjson.loads((out / "results" / "table" / "evolution" / "b40-s1.json").read_bytes())
    assert row["evaluations"] == 40 and row["phases"]["baseline"]["llm_calls"] == 0
    assert row["phases"]["baseline"]["evaluations"] == 40 and row["phases"]["baseline"]["wall_s"] > 0
    report = (out / "report.md").read_text()
    assert "budget = 40 evaluations" in report and "### Targets" in report
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(app, ["bench", "macro", "--table", str(nbm_table_path), "--methods", "nope",
                                   "--out", str(out)])
    assert bad.exit_code == 2
    (out / "results" / "table" / "evolution" / "b40-s2.json").write_text("{}")  # e.g. hand-made, or truncated
    report_only = ["bench", "macro", "--table", str(nbm_table_path), "--out", str(out), "--report-only"]
    bad = CliRunner().invoke(app, report_only)
    assert bad.exit_code == 2 and "b40-s2.json: not a bench result (no method," in bad.output
    assert "Traceback" not in bad.output
    (out / "results" / "table" / "evolution" / "b40-s2.json").write_text("{trunc")
    bad = CliRunner().invoke(app, report_only)
    assert bad.exit_code == 2 and "b40-s2.json: not JSON" in bad.output


def test_a_resumed_runs_curve_skips_the_downtime_between_kill_and_resume(tmp_path: Path) -> None:
    """Nodes 0-10 s and 10-20 s, killed, resumed an hour later (3600-3610 s): the curve's clock reads 25 s at
    the resumed run's evaluation (not 3605) and the run's wall time is 30 s; overlapping spans count once."""
    with RunStore(tmp_path / "run.sqlite") as store:
        for start, end in ((0.0, 10.0), (10.0, 20.0), (2.0, 4.0), (3600.0, 3610.0)):
            store.record_node(NodeRecord(step=1, node="scorer", phase="explore", round=0, started_at=start,
                                         finished_at=end, data={}))
        for canonical, finished in (("A", 8.0), ("B", 15.0), ("C", 3605.0)):
            store.record_evaluation(replace(evaluation(canonical, 1.0), finished_at=finished))
        trajectory = from_run_store(store, "C", {})
    assert [(p.canonical, p.t) for p in trajectory.points] == [("A", 8.0), ("B", 15.0), ("C", 25.0)]
    assert trajectory.wall_s == 30.0

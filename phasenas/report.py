"""``phasenas report RUN``: a self-contained HTML page and PNG plots, read from the run store alone.

Plots: best score against evaluations and against time (phase switch marked), scores per phase, tokens / cost /
time per phase, and for NAS-Bench-Macro the true accuracy of what was found. The HTML embeds the PNGs as data URIs
so it can be mailed or attached as one file.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # reports render headless; never open a window
import matplotlib.pyplot as plt
import structlog

from phasenas.space import get_space
from phasenas.space.macro import BenchmarkTable
from phasenas.store import NEIGHBOUR_MODEL, EvaluationRecord, PhaseUsage, RunStore

log = structlog.get_logger(__name__)

PHASES = ("explore", "refine")
COLORS = {"explore": "#1f77b4", "refine": "#d62728"}


@dataclass
class RunSummary:
    """Everything a report shows, computed once from the run store."""

    run_id: str
    space: str
    evaluations: list[EvaluationRecord]
    totals: dict[str, PhaseUsage] = field(default_factory=dict)
    switch_index: int | None = None  # evaluations before the first refine-phase evaluation
    started_at: float | None = None

    @property
    def scored(self) -> list[EvaluationRecord]:
        return [e for e in self.evaluations if e.score is not None]

    def best_so_far(self) -> list[float | None]:
        best: float | None = None
        out = []
        for e in self.evaluations:
            if e.score is not None and (best is None or e.score > best):
                best = e.score
            out.append(best)
        return out

    def top(self, k: int) -> list[EvaluationRecord]:
        return sorted(self.scored, key=lambda e: -e.score)[:k]  # type: ignore[operator]


def summarize(run_dir: Path, run_id: str, space: str) -> RunSummary:
    with RunStore(run_dir / "run.sqlite") as store:
        evaluations = store.evaluations()  # every point is plotted, so these are read whole
        totals = {p: PhaseUsage() for p in PHASES} | store.phase_usage()
        started = store.first_event("run.started", "run.resumed")
    switch_index = next((i for i, e in enumerate(evaluations) if e.phase == "refine"), None)
    return RunSummary(run_id, space, evaluations, totals, switch_index, None if started is None else started.at)


def _plot_progress(s: RunSummary, out: Path) -> Path:
    best = s.best_so_far()
    fig, (ax_evals, ax_time) = plt.subplots(1, 2, figsize=(11, 4))
    xs = list(range(1, len(best) + 1))
    t0 = s.started_at or (s.evaluations[0].submitted_at if s.evaluations else 0.0)
    times = [e.finished_at - t0 for e in s.evaluations]
    for ax, x, label in ((ax_evals, xs, "evaluations"), (ax_time, times, "seconds since start")):
        ax.step(x, [b if b is not None else float("nan") for b in best], where="post", color="black", label="best")
        for phase in PHASES:
            pts = [(xv, e.score) for xv, e in zip(x, s.evaluations) if e.phase == phase and e.score is not None]
            if pts:
                ax.scatter(*zip(*pts), s=12, alpha=0.6, color=COLORS[phase], label=phase)
        if s.switch_index is not None:
            ax.axvline(x[s.switch_index], linestyle="--", color="gray", label="phase switch")
        ax.set_xlabel(label)
        ax.set_ylabel("score")
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"run {s.run_id}: best score")
    return _save(fig, out / "progress.png")


def _plot_phases(s: RunSummary, out: Path) -> Path:
    fig, (ax_scores, ax_cost) = plt.subplots(1, 2, figsize=(11, 4))
    data = [[e.score for e in s.scored if e.phase == p] for p in PHASES]
    ax_scores.boxplot([d or [float("nan")] for d in data], tick_labels=list(PHASES))
    ax_scores.set_title("scores per phase")
    metrics = ("tokens", "llm_seconds", "scoring_seconds")
    width = 0.35
    for i, phase in enumerate(PHASES):
        t = s.totals[phase]
        values = [getattr(t, m) for m in metrics]
        ax_cost.bar([j + i * width for j in range(len(metrics))], values, width, label=phase, color=COLORS[phase])
    ax_cost.set_xticks([j + width / 2 for j in range(len(metrics))], ["tokens", "LLM s", "scoring s"])
    ax_cost.set_yscale("symlog")
    ax_cost.set_title("tokens and time per phase")
    ax_cost.legend(fontsize=8)
    return _save(fig, out / "phases.png")


def _plot_accuracy(s: RunSummary, table: BenchmarkTable, out: Path) -> Path:
    space = get_space("macro")
    fig, ax = plt.subplots(figsize=(6, 4))
    for phase in PHASES:
        pts = [(e.score, table.accuracy(space.parse(e.canonical))) for e in s.scored if e.phase == phase]
        if pts:
            ax.scatter(*zip(*pts), s=14, alpha=0.7, color=COLORS[phase], label=phase)
    ax.set_xlabel("proxy score")
    ax.set_ylabel("NAS-Bench-Macro test accuracy (%)")
    ax.legend(fontsize=8)
    ax.set_title("true accuracy of what was scored")
    return _save(fig, out / "accuracy.png")


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def render(run_dir: Path, run_id: str, space: str, out: Path | None = None, top_k: int = 10,
           table: BenchmarkTable | None = None) -> Path:
    """Write ``report.html`` and its PNGs to ``out`` (default: ``<run_dir>/report``); return the HTML path."""
    out = out or run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    s = summarize(run_dir, run_id, space)
    images = [_plot_progress(s, out), _plot_phases(s, out)]
    if table is not None and space == "macro":
        images.append(_plot_accuracy(s, table, out))
    page = out / "report.html"
    page.write_text(_html(s, images, top_k, table, _training_html(run_dir / "run.sqlite")), encoding="utf-8")
    log.info("report.written", run_id=run_id, path=str(page), images=len(images))
    return page


def _training_html(store: Path) -> str:
    """Trainings of this run's architectures (``phasenas train RUN``) and the re-rank guard's verdict."""
    from phasenas.train.records import training_records

    records = training_records(store)
    if not records:
        return ""
    esc = html.escape
    rerank = [r for r in records if r.kind == "rerank"]
    epochs = [r for r in records if r.kind == "epoch"]
    parts = []
    if rerank:
        rows = "".join(f"<tr><td>{r.data.get('proxy_rank')}</td><td>{r.data.get('train_rank')}</td>"
                       f"<td>{r.data.get('proxy_score', 0):.4g}</td><td>{100 * r.val_acc:.2f}</td>"
                       f"<td>{'winner' if r.data.get('winner') else ''}</td><td><code>{esc(r.canonical)}</code></td></tr>"
                       for r in rerank)
        parts.append("<h2>Re-rank guard: proxy rank against short-training rank</h2><table><tr><th>proxy rank</th>"
                     f"<th>train rank</th><th>proxy score</th><th>val acc %</th><th></th><th>architecture</th></tr>"
                     f"{rows}</table>")
    if epochs:
        rows = "".join(f"<tr><td>{esc(r.dataset)}</td><td>{r.epoch}/{r.epochs}</td>"
                       f"<td>{'' if r.train_loss is None else f'{r.train_loss:.3f}'}</td><td>{r.val_loss:.3f}</td>"
                       f"<td>{100 * r.val_acc:.2f}</td><td>{r.seconds:.1f}</td></tr>" for r in epochs)
        parts.append("<h2>Training</h2><table><tr><th>dataset</th><th>epoch</th><th>train loss</th><th>val loss</th>"
                     f"<th>val acc %</th><th>seconds</th></tr>{rows}</table>")
    return "".join(parts)


def _html(s: RunSummary, images: list[Path], top_k: int, table: BenchmarkTable | None, training: str = "") -> str:
    esc = html.escape
    macro = get_space("macro") if table is not None and s.space == "macro" else None
    head = "<tr><th>#</th><th>score</th><th>phase</th><th>agent</th><th>prompt</th>"
    head += "<th>accuracy</th><th>rank</th>" if macro else ""
    rows = []
    for i, e in enumerate(s.top(top_k), 1):
        source = f"{e.agent} (neighbour)" if e.model == NEIGHBOUR_MODEL else e.agent  # no model wrote it
        row = (f"<tr><td>{i}</td><td>{e.score:.4g}</td><td>{esc(e.phase)}</td><td>{esc(source)}</td>"
               f"<td>{esc(e.prompt)}</td>")
        if macro:
            arch = macro.parse(e.canonical)
            row += f"<td>{table.accuracy(arch):.2f}</td><td>{table.rank(arch)}</td>"  # type: ignore[union-attr]
        rows.append(row + f"</tr><tr><td></td><td colspan=8><code>{esc(e.canonical)}</code></td></tr>")
    phase_rows = "".join(
        f"<tr><td>{p}</td><td>{t.evaluations}</td><td>{t.neighbours}</td><td>{t.failures}</td><td>{t.llm_calls}</td>"
        f"<td>{t.tokens}</td><td>{t.cost_usd:.4f}</td><td>{t.llm_seconds:.1f}</td><td>{t.scoring_seconds:.1f}</td></tr>"
        for p, t in s.totals.items())
    pictures = "".join(
        f'<img alt="{esc(p.stem)}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in images)
    switch = "never" if s.switch_index is None else f"after {s.switch_index} evaluations"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>phasenas run {esc(s.run_id)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}img{{max-width:100%}}
table{{border-collapse:collapse}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}}
code{{font-size:85%}}</style></head><body>
<h1>phasenas run {esc(s.run_id)}</h1>
<p>space <b>{esc(s.space)}</b> &middot; {len(s.evaluations)} evaluations ({len(s.scored)} scored) &middot;
phase switch {switch}</p>
{pictures}
<h2>Per phase</h2><table><tr><th>phase</th><th>evaluations</th><th>of which neighbours</th><th>failed</th>
<th>LLM calls</th><th>tokens</th>
<th>cost (USD)</th><th>LLM s</th><th>scoring s</th></tr>{phase_rows}</table>
<h2>Top {top_k}</h2><table>{head}</tr>{''.join(rows)}</table>
{training}
</body></html>"""

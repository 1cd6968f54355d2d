"""The append-only SQLite run store: the complete history of a run, kept out of the graph state.

Checkpoints stay small and flat because everything that grows with a run (every LLM exchange, every
proposal the validator saw, every evaluation, every node execution) is appended here instead. Rows are
never updated or deleted; a node re-executed after a crash appends a second node row, and an evaluation
is unique per canonical architecture so a resumed run can never record one twice.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Self

import orjson
import structlog

log = structlog.get_logger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, step INTEGER, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_calls (
    id INTEGER PRIMARY KEY, call_key TEXT NOT NULL UNIQUE, step INTEGER NOT NULL, round INTEGER NOT NULL,
    slot INTEGER NOT NULL, phase TEXT NOT NULL, agent TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL,
    messages TEXT NOT NULL, response TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL, latency_s REAL NOT NULL, started_at REAL NOT NULL, constraint_kind TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY, call_key TEXT NOT NULL, step INTEGER NOT NULL, round INTEGER NOT NULL,
    slot INTEGER NOT NULL, phase TEXT NOT NULL, agent TEXT NOT NULL, status TEXT NOT NULL,
    canonical TEXT, errors TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY, canonical TEXT NOT NULL UNIQUE, step INTEGER NOT NULL, phase TEXT NOT NULL,
    agent TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL, call_key TEXT NOT NULL, proxy TEXT NOT NULL,
    score REAL, error TEXT, seconds REAL NOT NULL, cached INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL, llm_latency_s REAL NOT NULL, submitted_at REAL NOT NULL, finished_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
    id INTEGER PRIMARY KEY, step INTEGER NOT NULL, node TEXT NOT NULL, phase TEXT NOT NULL, round INTEGER NOT NULL,
    started_at REAL NOT NULL, finished_at REAL NOT NULL, data TEXT NOT NULL
);
"""

ProposalStatus = Literal["valid", "invalid", "duplicate"]
# The `model` of an evaluation that no model wrote: the validator's unexplored neighbour of a duplicate answer.
NEIGHBOUR_MODEL = "validator:neighbour"


@dataclass(frozen=True, slots=True)
class LLMExchange:
    """One LLM call: the rendered messages, the raw response and its usage."""

    call_key: str
    step: int
    round: int
    slot: int
    phase: str
    agent: str
    model: str
    prompt: str
    messages: list[dict[str, str]]
    response: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    started_at: float
    constraint_kind: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    """What the validator decided about one LLM answer."""

    call_key: str
    step: int
    round: int
    slot: int
    phase: str
    agent: str
    status: ProposalStatus
    canonical: str | None
    errors: list[dict[str, Any]]
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """One scored (or failed) architecture with where it came from."""

    canonical: str
    step: int
    phase: str
    agent: str
    model: str
    prompt: str
    call_key: str
    proxy: str
    score: float | None
    error: str | None
    seconds: float
    cached: bool
    input_tokens: int
    output_tokens: int
    llm_latency_s: float
    submitted_at: float
    finished_at: float


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """One execution of a graph node (a re-execution after a crash is a second record)."""

    step: int
    node: str
    phase: str
    round: int
    started_at: float
    finished_at: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """A run-level event: started, resumed, phase switch, finished."""

    at: float
    kind: str
    step: int | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PhaseUsage:
    """What one phase produced and spent, the one definition that a report and a bench result both show."""

    evaluations: int = 0
    failures: int = 0            # evaluations without a score
    neighbours: int = 0          # evaluations of the validator's neighbours of duplicates
    llm_calls: int = 0
    tokens: int = 0              # input + output
    cost_usd: float = 0.0
    llm_seconds: float = 0.0     # summed LLM latency
    scoring_seconds: float = 0.0
    node_seconds: float = 0.0    # summed wall time of the graph nodes that ran in the phase


# One GROUP BY per table; each names its columns after PhaseUsage's fields.
_PHASE_USAGE_SQL = (
    ("SELECT phase, COUNT(*) AS evaluations, SUM(score IS NULL) AS failures, SUM(seconds) AS scoring_seconds, "
     f"SUM(model = '{NEIGHBOUR_MODEL}') AS neighbours FROM evaluations GROUP BY phase"),
    ("SELECT phase, COUNT(*) AS llm_calls, SUM(input_tokens + output_tokens) AS tokens, SUM(cost_usd) AS cost_usd, "
     "SUM(latency_s) AS llm_seconds FROM llm_calls GROUP BY phase"),
    "SELECT phase, SUM(finished_at - started_at) AS node_seconds FROM nodes GROUP BY phase",
)


_JSON_COLUMNS = {"messages", "errors", "data"}


def _row_values(record: Any) -> tuple[list[str], list[Any]]:
    values = asdict(record)
    cols = list(values)
    out = [orjson.dumps(values[c]).decode() if c in _JSON_COLUMNS else values[c] for c in cols]
    return cols, out


def _from_row(cls: type, row: sqlite3.Row) -> Any:
    kwargs = {}
    for f in fields(cls):
        value = row[f.name]
        kwargs[f.name] = orjson.loads(value) if f.name in _JSON_COLUMNS else value
    if "cached" in kwargs:
        kwargs["cached"] = bool(kwargs["cached"])
    return cls(**kwargs)


class RunStore:
    """Append-only tables in one SQLite file (WAL: a killed process loses no committed row)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _insert(self, table: str, record: Any, *, ignore: bool = False) -> bool:
        cols, values = _row_values(record)
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        sql = f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        return self._db.execute(sql, values).rowcount == 1

    # -- writes -------------------------------------------------------------------------------------
    def record_event(self, kind: str, step: int | None = None, **data: Any) -> None:
        self._insert("events", Event(at=time.time(), kind=kind, step=step, data=data))

    def record_llm_call(self, exchange: LLMExchange) -> None:
        """Keyed by call_key: a node re-executed after a crash reuses the answer instead of asking again."""
        self._insert("llm_calls", exchange, ignore=True)

    def record_proposal(self, proposal: ProposalRecord) -> None:
        self._insert("proposals", proposal)

    def record_evaluation(self, evaluation: EvaluationRecord) -> bool:
        """Append one evaluation; False when this canonical form was already recorded (a resumed batch)."""
        inserted = self._insert("evaluations", evaluation, ignore=True)
        if not inserted:
            log.info("store.evaluation_already_recorded", canonical=evaluation.canonical)
        return inserted

    def record_node(self, node: NodeRecord) -> None:
        self._insert("nodes", node)

    # -- reads --------------------------------------------------------------------------------------
    def llm_call(self, call_key: str) -> LLMExchange | None:
        row = self._db.execute("SELECT * FROM llm_calls WHERE call_key = ?", (call_key,)).fetchone()
        return None if row is None else _from_row(LLMExchange, row)

    def llm_calls(self, agent: str | None = None) -> list[LLMExchange]:
        sql, args = "SELECT * FROM llm_calls", ()
        if agent is not None:
            sql, args = sql + " WHERE agent = ?", (agent,)
        return [_from_row(LLMExchange, r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def proposals(self) -> list[ProposalRecord]:
        return [_from_row(ProposalRecord, r) for r in self._db.execute("SELECT * FROM proposals ORDER BY id")]

    def evaluations(self) -> list[EvaluationRecord]:
        return [_from_row(EvaluationRecord, r) for r in self._db.execute("SELECT * FROM evaluations ORDER BY id")]

    def evaluated(self, canonicals: list[str]) -> set[str]:
        """Which of these canonical forms already have an evaluation (the duplicate check of the validator)."""
        if not canonicals:
            return set()
        marks = ", ".join("?" * len(canonicals))
        rows = self._db.execute(f"SELECT canonical FROM evaluations WHERE canonical IN ({marks})", canonicals)
        return {r[0] for r in rows}

    def scored(self) -> dict[str, float]:
        """Every successfully scored canonical form and its score (the refiner shows the candidate's nearest)."""
        rows = self._db.execute("SELECT canonical, score FROM evaluations WHERE score IS NOT NULL ORDER BY id")
        return {r[0]: r[1] for r in rows}

    def nodes(self) -> list[NodeRecord]:
        return [_from_row(NodeRecord, r) for r in self._db.execute("SELECT * FROM nodes ORDER BY id")]

    def events(self) -> list[Event]:
        return [_from_row(Event, r) for r in self._db.execute("SELECT * FROM events ORDER BY id")]

    def phase_usage(self) -> dict[str, PhaseUsage]:
        """Counts and sums per phase, added up by SQLite so no caller loads whole tables for them; phases sorted
        by name, zeros where a table has no row of that phase."""
        sums: dict[str, dict[str, Any]] = {}
        for sql in _PHASE_USAGE_SQL:
            for row in self._db.execute(sql):
                values = dict(row)
                sums.setdefault(values.pop("phase"), {}).update(values)
        return {phase: PhaseUsage(**sums[phase]) for phase in sorted(sums)}

    def evaluation_count(self) -> int:
        """Evaluations recorded, scored or failed (a run listing needs the number, not the rows)."""
        return self._db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]

    def best(self) -> EvaluationRecord | None:
        """The highest score (the earliest of equals, as a running argmax keeps it); None before any score."""
        return self._first(EvaluationRecord,
                           "SELECT * FROM evaluations WHERE score IS NOT NULL ORDER BY score DESC, id LIMIT 1")

    def latest(self) -> EvaluationRecord | None:
        """The evaluation recorded last (its phase is where a run stands); None before any."""
        return self._first(EvaluationRecord, "SELECT * FROM evaluations ORDER BY id DESC LIMIT 1")

    def first_event(self, *kinds: str) -> Event | None:
        """The earliest event of any of these kinds (when a run started, whether it finished)."""
        marks = ", ".join("?" * len(kinds))
        return self._first(Event, f"SELECT * FROM events WHERE kind IN ({marks}) ORDER BY id LIMIT 1", kinds)

    def node_spans(self) -> list[tuple[float, float]]:
        """(started_at, finished_at) of every node execution, earliest start first (a run's working time)."""
        return [(r[0], r[1]) for r in self._db.execute("SELECT started_at, finished_at FROM nodes ORDER BY started_at")]

    def _first(self, cls: type, sql: str, args: tuple[Any, ...] = ()) -> Any:
        row = self._db.execute(sql, args).fetchone()
        return None if row is None else _from_row(cls, row)

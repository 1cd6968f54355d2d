"""Training metrics appended to a ``train`` table, in a run's store (``run.sqlite``) or a standalone file.

The run store has no training records of its own, so this module adds one append-only table beside its
tables (same file, own connection, WAL like the store), which ``report`` can read with ``training_records``.
Kinds: ``epoch`` (one per trained epoch), ``eval`` (an evaluation-only pass), ``rerank`` (one short training of
the re-rank guard; ``data`` holds the proxy score and both ranks).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import orjson

TRAIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS train (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, session TEXT NOT NULL, kind TEXT NOT NULL, canonical TEXT NOT NULL,
    space TEXT NOT NULL, dataset TEXT NOT NULL, epoch INTEGER NOT NULL, epochs INTEGER NOT NULL,
    train_loss REAL, train_acc REAL, val_loss REAL NOT NULL, val_acc REAL NOT NULL, val_top5 REAL,
    lr REAL, seconds REAL NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS train_by_canonical ON train (canonical, session, epoch);
"""

RecordKind = Literal["epoch", "eval", "rerank"]


@dataclass(frozen=True, slots=True)
class TrainRecord:
    """One row of the ``train`` table; accuracies are fractions in [0, 1]."""

    session: str
    kind: RecordKind
    canonical: str
    space: str
    dataset: str
    epoch: int
    epochs: int
    val_loss: float
    val_acc: float
    seconds: float
    train_loss: float | None = None
    train_acc: float | None = None
    val_top5: float | None = None
    lr: float | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(TRAIN_SCHEMA)
    return db


def record_training(path: Path | str, record: TrainRecord) -> None:
    """Append one record (creating the table on first use)."""
    values = asdict(record)
    values["data"] = orjson.dumps(values["data"]).decode()
    db = _connect(Path(path))
    try:
        db.execute(f"INSERT INTO train ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                   list(values.values()))
    finally:
        db.close()


def training_records(path: Path | str, kind: RecordKind | None = None) -> list[TrainRecord]:
    """Every record in append order (of one kind when given); none when the file or table does not exist."""
    if not Path(path).is_file():
        return []
    db = _connect(Path(path))
    try:
        where, args = ("", ()) if kind is None else (" WHERE kind = ?", (kind,))
        rows = db.execute(f"SELECT * FROM train{where} ORDER BY id", args).fetchall()
    finally:
        db.close()
    names = [f.name for f in fields(TrainRecord)]
    return [TrainRecord(**{n: orjson.loads(r[n]) if n == "data" else r[n] for n in names}) for r in rows]

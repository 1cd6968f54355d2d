"""The score cache: one SQLite file per cache directory, so an architecture is never scored twice across runs.

Keyed by (canonical form, proxy, the proxy's settings, resolution, classes). WAL mode lets any number of
processes read while one writes; writers wait on the lock (busy timeout) instead of failing.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from phasenas.scoring.registry import Proxy
from phasenas.scoring.results import CACHEABLE_FAILURES, Outcome
from phasenas.scoring.settings import ScoreSettings
from phasenas.space import Task

FILE_NAME = "scores.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    canonical  TEXT NOT NULL,
    proxy      TEXT NOT NULL,
    settings   TEXT NOT NULL,
    resolution INTEGER NOT NULL,
    classes    INTEGER NOT NULL,
    score      REAL,
    error      TEXT,
    detail     TEXT,
    seconds    REAL NOT NULL,
    created    REAL NOT NULL,
    PRIMARY KEY (canonical, proxy, settings, resolution, classes)
) WITHOUT ROWID
"""


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What makes two scores the same score."""

    canonical: str
    proxy: str
    settings: str        # orjson of the settings the proxy reads, keys sorted
    resolution: int
    classes: int

    @classmethod
    def make(cls, canonical: str, proxy: str, settings: dict[str, object], resolution: int, classes: int
             ) -> CacheKey:
        return cls(canonical, proxy, orjson.dumps(settings, option=orjson.OPT_SORT_KEYS).decode(), resolution,
                   classes)

    @classmethod
    def for_candidate(cls, canonical: str, proxy: Proxy, settings: ScoreSettings, task: Task) -> CacheKey:
        """The key of scoring ``canonical`` with ``proxy``: only the settings that proxy reads take part."""
        return cls.make(canonical, proxy.name, settings.subset(proxy.settings), task.resolution, task.classes)


class ScoreCache:
    """SQLite-backed map CacheKey -> Outcome (one connection per instance; use from one thread)."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def get(self, key: CacheKey) -> Outcome | None:
        row = self._db.execute(
            "SELECT score, error, detail, seconds FROM scores WHERE canonical=? AND proxy=? AND settings=? "
            "AND resolution=? AND classes=?",
            (key.canonical, key.proxy, key.settings, key.resolution, key.classes)).fetchone()
        return None if row is None else Outcome(*row)

    def put(self, key: CacheKey, outcome: Outcome) -> None:
        """Store an outcome worth keeping: a score, or a failure that is the candidate's own (not a timeout)."""
        if outcome.error is not None and outcome.error not in CACHEABLE_FAILURES:
            return
        self._db.execute(
            "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key.canonical, key.proxy, key.settings, key.resolution, key.classes, outcome.score, outcome.error,
             outcome.detail, outcome.seconds, time.time()))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0])

    def close(self) -> None:
        self._db.close()

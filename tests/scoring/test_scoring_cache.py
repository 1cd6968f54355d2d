"""The SQLite score cache: keys, persistence across instances, concurrent readers while one writes."""

from __future__ import annotations

from phasenas.scoring import CacheKey, Outcome, ScoreCache


def key(canonical: str = "A", proxy: str = "zen", settings: dict | None = None, resolution: int = 32,
        classes: int = 10) -> CacheKey:
    return CacheKey.make(canonical, proxy, settings if settings is not None else {"batch_size": 64},
                         resolution, classes)


def test_round_trip_and_persistence(tmp_path):
    cache = ScoreCache(tmp_path)
    assert cache.get(key()) is None
    cache.put(key(), Outcome(1.5, None, None, 0.25))
    cache.put(key("B"), Outcome(None, "non_finite", "nan", 0.5))
    cache.close()
    reopened = ScoreCache(tmp_path)
    assert reopened.get(key()) == Outcome(1.5, None, None, 0.25)
    assert reopened.get(key("B")) == Outcome(None, "non_finite", "nan", 0.5)
    assert len(reopened) == 2


def test_every_key_part_matters(tmp_path):
    cache = ScoreCache(tmp_path)
    cache.put(key(), Outcome(1.0, None, None, 0.1))
    for other in (key("B"), key(proxy="naswot"), key(settings={"batch_size": 16}), key(resolution=64),
                  key(classes=100)):
        assert cache.get(other) is None
    assert key(settings={"a": 1, "b": 2}) == key(settings={"b": 2, "a": 1})


def test_readers_see_a_writers_commits(tmp_path):
    writer, reader = ScoreCache(tmp_path), ScoreCache(tmp_path)
    assert reader.get(key()) is None
    writer.put(key(), Outcome(2.0, None, None, 0.1))
    assert reader.get(key()) == Outcome(2.0, None, None, 0.1)
    mode = reader._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"

"""The re-rank guard: short training overturns a proxy's pick when the two rankings disagree."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from phasenas.space import get_space
from phasenas.train.data import Splits
from phasenas.train.recipe import Recipe
from phasenas.train.records import training_records
from phasenas.train.rerank import RerankSettings, rerank, rerank_pool
from tests.train.conftest import BLIND, GOOD, write_imagefolder

SPACE = get_space("zen-cifar")
FAST = Recipe.short(3, batch_size=32).model_copy(update={"crop_padding": 1, "flip": False})  # digits: no mirror


def test_short_training_overturns_a_proxy_that_prefers_the_blind_network(digits: Splits, tmp_path: Path) -> None:
    store = tmp_path / "run.sqlite"
    # The proxy (scores made up for the constructed case) ranks the network that cannot see shapes first.
    result = rerank([(GOOD, 1.0), (BLIND, 5.0)], SPACE, digits, epochs=3, subset=1000, val_subset=200,
                    recipe=FAST, store=store)
    assert result.proxy_winner == BLIND
    assert result.winner == GOOD and result.changed
    by_name = {p.canonical: p for p in result.picks}
    assert (by_name[BLIND].proxy_rank, by_name[BLIND].train_rank) == (1, 2)
    assert (by_name[GOOD].proxy_rank, by_name[GOOD].train_rank) == (2, 1)
    assert by_name[GOOD].val_acc > by_name[BLIND].val_acc + 0.2
    assert result.train_images == 1000
    records = training_records(store, kind="rerank")
    assert [(r.canonical, r.data["proxy_rank"], r.data["train_rank"]) for r in records] == [
        (GOOD, 2, 1), (BLIND, 1, 2)]
    assert result.to_dict()["changed"] is True


def test_agreeing_rankings_keep_the_proxy_s_pick(digits: Splits) -> None:
    result = rerank([(BLIND, 0.5), (GOOD, 3.0)], SPACE, digits, epochs=3, subset=1000, val_subset=200, recipe=FAST)
    assert result.winner == result.proxy_winner == GOOD
    assert not result.changed
    assert [p.train_rank for p in result.picks] == [1, 2]


def test_ties_in_accuracy_keep_the_proxy_order(digits: Splits) -> None:
    # One network listed twice under two scores trains to the same accuracy both times (same seed, same data).
    result = rerank([(GOOD, 1.0), (GOOD, 2.0)], SPACE, digits, epochs=1, subset=128, val_subset=64, recipe=FAST)
    assert result.picks[0].val_acc == result.picks[1].val_acc
    assert [p.proxy_score for p in result.picks] == [2.0, 1.0]


def test_search_hook_reranks_the_top_k_of_a_pool(tmp_path: Path) -> None:
    root = write_imagefolder(tmp_path / "data", classes=3, per_class=16, val_per_class=6, size=16)
    settings = RerankSettings(enabled=True, top_k=2, epochs=1, train_subset=None, val_subset=None, batch_size=16,
                              dataset="imagefolder", data_dir=root)
    pool = [{"canonical": GOOD, "score": 2.0, "step": 1, "agent": "explorer"},
            {"canonical": BLIND, "score": 3.0, "step": 1, "agent": "explorer"},
            {"canonical": "ConvK3BNRELU(3,8,1,1)ConvK1BNRELU(8,16,1,1)", "score": 1.0, "step": 2, "agent": "refiner"}]
    result = rerank_pool(settings, SPACE.with_task(resolution=16), pool)
    assert sorted((p.canonical, p.proxy_rank) for p in result.picks) == sorted([(BLIND, 1), (GOOD, 2)])
    assert result.train_images == 48


def test_enabled_guard_needs_local_data() -> None:
    with pytest.raises(ValidationError, match="data_dir"):
        RerankSettings(enabled=True)
    assert RerankSettings().enabled is False

"""The proxy-mismatch guard inside a search: after the graph finishes, the top-K are short-trained and the
winner by validation accuracy becomes the result; it runs once per run."""

from __future__ import annotations

from pathlib import Path

import torch

from phasenas.runs import RUN_STORE_FILE, asearch, aresume
from phasenas.store import RunStore
from phasenas.train.records import training_records
from tests.graph.conftest import make_config
from tests.train.conftest import write_cifar10


async def test_search_with_rerank_picks_by_short_training(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    data = write_cifar10(tmp_path / "cifar", per_batch=8, test=16)
    config = make_config(tmp_path / "runs", run_id="guarded", budget={"evaluations": 6},
                         rerank={"enabled": True, "top_k": 2, "epochs": 1, "train_subset": 40, "val_subset": 16,
                                 "batch_size": 8, "dataset": "cifar10", "data_dir": data})
    result = await asearch(config)

    assert result.rerank is not None
    picks = result.rerank["picks"]
    assert len(picks) == 2 and {p["train_rank"] for p in picks} == {1, 2}
    assert result.best == result.rerank["winner"]
    assert result.rerank["changed"] == (result.rerank["winner"] != result.rerank["proxy_winner"])
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        assert [e.kind for e in store.events()].count("rerank.done") == 1
    assert len(training_records(result.run_dir / RUN_STORE_FILE, "rerank")) == 2

    again = await aresume("guarded", tmp_path / "runs")  # finished run: the guard's verdict is reused, not re-run
    assert again.best == result.best
    assert len(training_records(result.run_dir / RUN_STORE_FILE, "rerank")) == 2

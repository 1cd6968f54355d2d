"""The re-rank guard against proxy mismatch: short-train the final top-K and pick by validation accuracy.

A zero-shot proxy can rank a network first that trains badly. Before a search declares its winner, each of
the K best architectures is trained for a few epochs on a fixed subset (same seed, same data order, same
recipe for all), and the winner is the most accurate one; ties keep the proxy's order. The result lists the
proxy rank beside the short-train rank of every candidate, for the report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import structlog
import torch

from phasenas.config import RerankSettings
from phasenas.space import Space
from phasenas.train.checkpoint import ModelInfo
from phasenas.train.data import Splits, load_dataset
from phasenas.train.distributed import Placement, choose_device
from phasenas.train.recipe import Recipe
from phasenas.train.records import TrainRecord, record_training
from phasenas.train.trainer import Trainer

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RerankPick:
    """One candidate: its proxy score and rank, and its short-train accuracy and rank (ranks count from 1)."""

    canonical: str
    proxy_score: float
    proxy_rank: int
    val_acc: float
    val_loss: float
    train_rank: int
    seconds: float


@dataclass(frozen=True)
class RerankResult:
    """Every candidate in short-train order; ``winner`` is the first, ``proxy_winner`` the proxy's choice."""

    picks: list[RerankPick]
    epochs: int
    train_images: int

    @property
    def winner(self) -> str:
        return self.picks[0].canonical

    @property
    def proxy_winner(self) -> str:
        return min(self.picks, key=lambda p: p.proxy_rank).canonical

    @property
    def changed(self) -> bool:
        """Whether short training overturned the proxy's pick (a proxy mismatch)."""
        return self.winner != self.proxy_winner

    def to_dict(self) -> dict[str, Any]:
        return {"winner": self.winner, "proxy_winner": self.proxy_winner, "changed": self.changed,
                "epochs": self.epochs, "train_images": self.train_images, "picks": [asdict(p) for p in self.picks]}


def rerank(candidates: Sequence[tuple[str, float]], space: Space, data: Splits, epochs: int = 2,
           subset: int | None = 5000, *, val_subset: int | None = None, recipe: Recipe | None = None,
           device: str | None = None, store: Path | None = None) -> RerankResult:
    """Short-train ``candidates`` (canonical architecture, proxy score) and rank them by validation accuracy.

    ``space`` is re-targeted at ``data`` (classes, channels, resolution); ``recipe`` defaults to
    ``Recipe.short(epochs)``; with ``store``, one ``rerank`` record per candidate is appended to its train table.
    """
    if not candidates:
        raise ValueError("rerank needs at least one candidate")
    recipe = recipe or Recipe.short(epochs)
    recipe = recipe.model_copy(update={"epochs": epochs})
    data = data.subset(train=subset, val=val_subset, seed=recipe.seed)
    space = space.with_task(classes=data.classes, image_channels=data.channels, resolution=data.resolution)
    placement = Placement(choose_device(device))
    by_proxy = sorted(candidates, key=lambda c: -c[1])
    session = f"rerank-{time.time():.0f}"
    trained: list[RerankPick] = []
    for proxy_rank, (canonical, score) in enumerate(by_proxy, start=1):
        started = time.perf_counter()
        torch.manual_seed(recipe.seed)  # every candidate starts from the same random state
        info = ModelInfo(canonical, space.name, data.name, data.classes, data.channels, data.resolution)
        last = Trainer(space.build(space.parse(canonical)), data, recipe, info, placement=placement).fit()[-1]
        trained.append(RerankPick(canonical, score, proxy_rank, last.val_acc, last.val_loss, train_rank=0,
                                  seconds=time.perf_counter() - started))
        log.info("rerank.trained", canonical=canonical, proxy_rank=proxy_rank, val_acc=last.val_acc)
    ordered = sorted(trained, key=lambda p: (-p.val_acc, p.proxy_rank))
    picks = [replace(pick, train_rank=rank) for rank, pick in enumerate(ordered, start=1)]
    result = RerankResult(picks, epochs, len(data.train))  # type: ignore[arg-type]
    if store is not None:
        for pick in picks:
            record_training(store, TrainRecord(
                session=session, kind="rerank", canonical=pick.canonical, space=space.name, dataset=data.name,
                epoch=epochs, epochs=epochs, val_loss=pick.val_loss, val_acc=pick.val_acc, seconds=pick.seconds,
                data={"proxy_score": pick.proxy_score, "proxy_rank": pick.proxy_rank, "train_rank": pick.train_rank,
                      "winner": result.winner}))
    log.info("rerank.done", winner=result.winner, proxy_winner=result.proxy_winner, changed=result.changed)
    return result


def rerank_pool(settings: RerankSettings, space: Space, pool: Sequence[Mapping[str, Any]],
                store: Path | None = None) -> RerankResult:
    """The search hook: re-rank the top ``settings.top_k`` pool entries (``canonical``/``score`` mappings)."""
    if settings.data_dir is None:
        raise ValueError("rerank: data_dir is not set")
    data = load_dataset(settings.dataset, settings.data_dir, space.task.resolution, space.task.image_channels)
    top = sorted(pool, key=lambda e: -float(e["score"]))[:settings.top_k]
    return rerank([(str(e["canonical"]), float(e["score"])) for e in top], space, data, settings.epochs,
                  settings.train_subset, val_subset=settings.val_subset,
                  recipe=Recipe.short(settings.epochs, settings.batch_size).model_copy(update={"seed": settings.seed}),
                  device=settings.device, store=store)

"""``phasenas train (RUN | ARCH)``: train a run's best architecture (or any architecture) on a local dataset.

Prints the validation accuracy after every epoch, writes ``last.pt``/``best.pt`` to ``--out`` and the metrics
to the run store; ``--resume`` continues ``--out``'s ``last.pt``; ``--eval CHECKPOINT`` only evaluates.
Exit 0 done, 1 on a data/architecture/checkpoint problem, 2 on usage errors.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from phasenas.cli import app
from phasenas.cli.common import JsonOption, ResolutionOption, echo_json
from phasenas.errors import PhaseNASError
from phasenas.space import ArchError
from phasenas.train.recipe import DATASETS, DatasetName, Recipe

if TYPE_CHECKING:
    from phasenas.train.trainer import EpochMetrics

_DEFAULT = Recipe()


class EpochReporter:
    """One line per epoch on the console, with a batch progress bar while the epoch runs."""

    def __init__(self, console: Console, bar: bool) -> None:
        self.console = console
        self.bar = bar
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def epoch_started(self, epoch: int, epochs: int, batches: int) -> None:
        if not self.bar:
            return
        self.progress = Progress(TextColumn(f"epoch {epoch}/{epochs}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=True)
        self.progress.start()
        self.task = self.progress.add_task("train", total=batches)

    def batch_done(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)

    def epoch_done(self, m: EpochMetrics) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        top5 = "" if m.val_top5 is None else f" top5 {m.val_top5:6.2%}"
        self.console.print(f"epoch {m.epoch:>4}/{m.epochs}  train loss {m.train_loss:.4f} acc {m.train_acc:6.2%}  "
                           f"val loss {m.val_loss:.4f} acc {m.val_acc:6.2%}{top5}  lr {m.lr:.4g}  {m.seconds:.1f} s",
                           highlight=False, soft_wrap=True)


def _fail(exc: PhaseNASError) -> typer.Exit:
    issues = exc.issues if isinstance(exc, ArchError) else []
    typer.echo(f"error: {exc}" if not issues else "invalid architecture", err=True)
    for issue in issues:
        typer.echo(f"  {issue}", err=True)
    return typer.Exit(1)


@app.command("train")
def train_command(
    target: Annotated[str | None, typer.Argument(
        help="A run id under --runs-dir (its best architecture) or an architecture string.")] = None,
    dataset: Annotated[str, typer.Option("--dataset", help=f"One of: {', '.join(DATASETS)}.")] = "cifar10",
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Local dataset directory (never downloaded).")] = Path(
        "data"),
    space: Annotated[str | None, typer.Option("--space", help="Space of ARCH (default: the run's, or zen-cifar).")] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Where runs live.")] = Path("runs"),
    out: Annotated[Path | None, typer.Option("--out", help="Checkpoint directory "
                                             "(default: <run>/train/<dataset> or <runs-dir>/train/<hash>/<dataset>).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = _DEFAULT.epochs,
    batch_size: Annotated[int, typer.Option("--batch-size", min=2, help="Images per step per process.")] = _DEFAULT.batch_size,
    lr_per_256: Annotated[float, typer.Option("--lr-per-256", min=0.0, help="Peak LR for 256 images.")] = _DEFAULT.lr_per_256,
    warmup_epochs: Annotated[float, typer.Option("--warmup-epochs", min=0.0)] = _DEFAULT.warmup_epochs,
    weight_decay: Annotated[float, typer.Option("--weight-decay", min=0.0)] = _DEFAULT.weight_decay,
    label_smoothing: Annotated[float, typer.Option("--label-smoothing", min=0.0, max=0.99)] = _DEFAULT.label_smoothing,
    mixup_alpha: Annotated[float, typer.Option("--mixup-alpha", min=0.0, help="0: no mixup.")] = _DEFAULT.mixup_alpha,
    random_erasing: Annotated[float, typer.Option("--random-erasing", min=0.0, max=1.0,
                                                  help="Probability; 0: off.")] = _DEFAULT.random_erasing,
    crop_padding: Annotated[int, typer.Option("--crop-padding", min=0, help="0: no random crop.")] = _DEFAULT.crop_padding,
    flip: Annotated[bool, typer.Option("--flip/--no-flip")] = _DEFAULT.flip,
    auto_augment: Annotated[bool, typer.Option("--auto-augment/--no-auto-augment",
                                               help="CIFAR-10 AutoAugment (needs torchvision).")] = _DEFAULT.auto_augment,
    bn_momentum: Annotated[float, typer.Option("--bn-momentum", min=0.0, max=1.0,
                                               help="0: PyTorch's default (0.1).")] = 0.01,
    workers: Annotated[int, typer.Option("--workers", min=0, help="DataLoader worker processes.")] = 0,
    amp: Annotated[bool, typer.Option("--amp/--no-amp", help="Mixed precision on CUDA.")] = True,
    channels_last: Annotated[bool, typer.Option("--channels-last/--no-channels-last")] = True,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda, cuda:1 (default: CUDA if present).")] = None,
    resolution: ResolutionOption = None,
    subset: Annotated[int | None, typer.Option("--subset", min=1, help="Train on this many images only.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue <out>/last.pt (its recipe, these --epochs).")] = False,
    eval_checkpoint: Annotated[Path | None, typer.Option("--eval", help="Only evaluate this checkpoint.")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Batch progress bar.")] = True,
    json: JsonOption = False,
) -> None:
    """Train an architecture with Zen-NAS's CIFAR recipe (every ingredient an option), or evaluate a checkpoint."""
    if dataset not in DATASETS:
        raise typer.BadParameter(f"choose one of {', '.join(DATASETS)}", param_hint="--dataset")
    name: DatasetName = dataset  # type: ignore[assignment]
    from phasenas.train.run import (  # torch: only now
        TrainRequest,
        evaluate_checkpoint,
        resolve_target,
        train,
    )
    try:
        if eval_checkpoint is not None:
            store = resolve_target(target, runs_dir, space).store if target else None
            info, evaluation = evaluate_checkpoint(eval_checkpoint, name, data_dir, device=device,
                                                   batch_size=batch_size, store=store)
            if json:
                echo_json({"info": info.to_dict(), "evaluation": asdict(evaluation)})
            else:
                top5 = "" if evaluation.top5 is None else f"  top5 {evaluation.top5:.2%}"
                typer.echo(f"{info.canonical}\nval loss {evaluation.loss:.4f}  acc {evaluation.top1:.2%}{top5}  "
                           f"({evaluation.images} images)")
            return
        if target is None:
            raise typer.BadParameter("give a RUN or an ARCH to train (or --eval CHECKPOINT)", param_hint="TARGET")
        recipe = Recipe(epochs=epochs, batch_size=batch_size, lr_per_256=lr_per_256, warmup_epochs=warmup_epochs,
                        weight_decay=weight_decay, label_smoothing=label_smoothing, mixup_alpha=mixup_alpha,
                        random_erasing=random_erasing, crop_padding=crop_padding, flip=flip,
                        auto_augment=auto_augment, bn_momentum=bn_momentum or None, workers=workers, amp=amp,
                        channels_last=channels_last, seed=seed)
        request = TrainRequest(target=target, dataset=name, data_dir=data_dir, space=space, runs_dir=runs_dir,
                               out_dir=out, recipe=recipe, device=device, resume=resume, resolution=resolution,
                               subset=subset)
        console = Console()
        observers = [] if json else [EpochReporter(console, bar=progress and console.is_terminal)]
        outcome = train(request, observers)
    except PhaseNASError as exc:
        raise _fail(exc) from exc
    if not outcome.main:
        return
    if json:
        echo_json({"info": outcome.info.to_dict(), "out_dir": str(outcome.out_dir), "store": str(outcome.store),
                   "history": [asdict(m) for m in outcome.history]})
    else:
        best = max(outcome.history, key=lambda m: m.val_acc, default=None)
        summary = f"best val acc {best.val_acc:.2%} at epoch {best.epoch}" if best else "nothing left to train"
        typer.echo(f"{summary}; checkpoints in {outcome.out_dir}; metrics in {outcome.store}")

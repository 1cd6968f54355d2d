"""``phasenas train``: an architecture or a run's best, per-epoch output, checkpoints, --resume, --eval, records."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from phasenas.cli import app
from phasenas.store import RunStore
from phasenas.train.checkpoint import BEST, LAST, load_checkpoint
from phasenas.train.records import training_records
from tests.train.conftest import GOOD, write_cifar10, write_imagefolder

runner = CliRunner()
SHORT = ["--no-progress", "--crop-padding", "0", "--mixup-alpha", "0", "--random-erasing", "0", "--warmup-epochs", "0",
         "--bn-momentum", "0", "--lr-per-256", "0.8", "--batch-size", "16"]


def last_json(output: str) -> dict:
    return orjson.loads(output.strip().splitlines()[-1])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_imagefolder(tmp_path / "data", classes=3, per_class=16, val_per_class=6, size=20)


def test_train_an_architecture_then_resume_then_evaluate(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    common = [GOOD, "--dataset", "imagefolder", "--data-dir", str(folder), "--resolution", "16", "--out", str(out)]
    first = runner.invoke(app, ["train", *common, "--epochs", "3", *SHORT], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "epoch    1/3" in first.output and "epoch    2/3" in first.output and "val loss" in first.output
    assert (out / LAST).is_file() and (out / BEST).is_file()
    assert [r.epoch for r in training_records(out / "train.sqlite", kind="epoch")] == [1, 2, 3]

    resumed = runner.invoke(app, ["train", *common, "--epochs", "5", "--resume", "--no-progress"],
                            catch_exceptions=False)
    assert resumed.exit_code == 0, resumed.output
    assert "epoch    3/5" not in resumed.output and "epoch    4/5" in resumed.output
    records = training_records(out / "train.sqlite", kind="epoch")
    assert [r.epoch for r in records] == [1, 2, 3, 4, 5]
    assert load_checkpoint(out / LAST)["epoch"] == 5
    assert load_checkpoint(out / LAST)["recipe"]["lr_per_256"] == 0.8  # the checkpoint's recipe, not the defaults

    evaluated = runner.invoke(app, ["train", "--eval", str(out / BEST), "--dataset", "imagefolder",
                                    "--data-dir", str(folder), "--json"], catch_exceptions=False)
    assert evaluated.exit_code == 0, evaluated.output
    data = last_json(evaluated.output)
    best = load_checkpoint(out / BEST)
    assert data["info"]["canonical"] == GOOD and data["evaluation"]["images"] == 18
    assert data["evaluation"]["top1"] == pytest.approx(best["val_acc"])
    assert best["val_acc"] == max(r.val_acc for r in records)
    assert best["val_acc"] > 1 / 3  # above chance on three classes


def test_invalid_architecture_and_missing_data_exit_1(folder: Path, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["train", "ConvK3BNRELU(4,32,1,1)ConvK1BNRELU(32,64,1,1)", "--dataset", "imagefolder",
                              "--data-dir", str(folder), "--no-progress"])
    assert bad.exit_code == 1 and "input_channels" in bad.output
    missing = runner.invoke(app, ["train", GOOD, "--dataset", "cifar10", "--data-dir", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "not found" in missing.output
    usage = runner.invoke(app, ["train", GOOD, "--dataset", "mnist"])
    assert usage.exit_code == 2
    nothing = runner.invoke(app, ["train", "--dataset", "imagefolder", "--data-dir", str(folder)])
    assert nothing.exit_code == 2


def test_train_a_run_s_best_architecture_into_its_run_store(tmp_path: Path) -> None:
    from phasenas.runs import search as run_search
    from tests.graph.conftest import make_config

    runs = tmp_path / "runs"
    search = run_search(make_config(runs, budget={"evaluations": 4}))
    data = write_cifar10(tmp_path / "cifar", per_batch=8, test=8)
    result = runner.invoke(app, ["train", search.run_id, "--runs-dir", str(runs), "--dataset", "cifar10",
                                 "--data-dir", str(data), "--epochs", "1", "--subset", "16", "--json", *SHORT],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = last_json(result.output)
    assert report["info"]["canonical"] == search.best and report["info"]["space"] == "macro"
    assert Path(report["out_dir"]) == runs / search.run_id / "train" / "cifar10"
    store = runs / search.run_id / "run.sqlite"
    records = training_records(store)
    assert [(r.kind, r.canonical, r.epoch) for r in records] == [("epoch", search.best, 1)]
    with RunStore(store) as run_store:  # the run store's own tables are untouched
        assert len(run_store.evaluations()) == search.usage["evaluations"]

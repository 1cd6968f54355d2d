"""Knobs that change a proxy's value, so they belong to the cache key and travel to workers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True, slots=True)
class ScoreSettings:
    """Proxy settings; each proxy declares which of these it reads (the others do not split its cache)."""

    batch_size: int = 64      # inputs per forward pass (>= 2: BN in train mode needs two samples)
    repeats: int = 1          # Zen-score repeats R, averaged
    gamma: float = 0.01       # Zen-score perturbation scale
    seed: int = 0             # user seed, mixed with the canonical form into the per-architecture seed

    def __post_init__(self) -> None:
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be at least 2 (BatchNorm in train mode), got {self.batch_size}")
        if self.repeats < 1:
            raise ValueError(f"repeats must be at least 1, got {self.repeats}")
        if not self.gamma > 0:
            raise ValueError(f"gamma must be positive, got {self.gamma}")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ScoreSettings:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})  # type: ignore[arg-type]

    def subset(self, names: tuple[str, ...]) -> dict[str, object]:
        """The settings a given proxy reads, for its cache key."""
        return {name: getattr(self, name) for name in sorted(names)}

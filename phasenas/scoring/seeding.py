"""Per-architecture seeds: the same canonical form and user seed give bit-identical weights and inputs."""

from __future__ import annotations

import hashlib

import torch


def derive_seed(canonical: str, seed: int = 0) -> int:
    """A 63-bit seed from the canonical form, so equivalent spellings share it and runs are reproducible."""
    digest = hashlib.blake2b(f"{seed}\x00{canonical}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def seed_torch(seed: int) -> None:
    """Seed torch's global generators (CPU and every CUDA device) before the model's weights are drawn."""
    torch.manual_seed(seed)

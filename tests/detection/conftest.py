"""Fixtures for the detection space tests."""

from __future__ import annotations

import pytest

from phasenas.space import get_space
from phasenas.space.detection import YoloSpace


@pytest.fixture
def yolo() -> YoloSpace:
    space = get_space("yolo")
    assert isinstance(space, YoloSpace)
    return space


@pytest.fixture
def unbudgeted(yolo: YoloSpace) -> YoloSpace:
    """The yolo space without parameter and FLOPs limits (YOLOv8s and larger exceed the default budget)."""
    return yolo.with_budget(max_params=None, max_flops=None)  # type: ignore[return-value]

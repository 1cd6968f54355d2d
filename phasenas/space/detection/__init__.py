"""Object detection: YOLOv8-style detectors as a search space (``get_space("yolo")``).

>>> from phasenas.space import get_space
>>> report = get_space("yolo").validate("yolov8n")
>>> report.params
3157200

``space.build`` (torch) lives in ``build`` and ``modules``, imported only when a detector is built.
"""

from phasenas.space.detection.export import to_ultralytics_yaml
from phasenas.space.detection.layers import MODULES, DetArch, Layer
from phasenas.space.detection.presets import PRESETS
from phasenas.space.detection.space import YoloSpace

__all__ = ["MODULES", "PRESETS", "DetArch", "Layer", "YoloSpace", "to_ultralytics_yaml"]

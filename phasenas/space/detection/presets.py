"""Named detectors: the YOLOv8 family, written in the compact form with ultralytics' published scales.

The layer list and the ``[depth, width, max_channels]`` scales follow ultralytics' ``cfg/models/v8/yolov8.yaml``;
the names are accepted wherever a detection architecture is (``phasenas validate --space yolo yolov8n``).
"""

from __future__ import annotations

YOLOV8_LAYERS = (
    "Conv(64,3,2) Conv(128,3,2) C2f(128,True)x3 Conv(256,3,2) C2f(256,True)x6 Conv(512,3,2) C2f(512,True)x6 "
    "Conv(1024,3,2) C2f(1024,True)x3 SPPF(1024,5) "
    "Upsample(2) Concat(-1,6) C2f(512,False)x3 Upsample(2) Concat(-1,4) C2f(256,False)x3 "
    "Conv(256,3,2) Concat(-1,12) C2f(512,False)x3 Conv(512,3,2) Concat(-1,9) C2f(1024,False)x3 Detect(15,18,21)"
)
YOLOV8_SCALES = {
    "n": (0.33, 0.25, 1024),
    "s": (0.33, 0.50, 1024),
    "m": (0.67, 0.75, 768),
    "l": (1.00, 1.00, 512),
    "x": (1.00, 1.25, 512),
}
PRESETS: dict[str, str] = {
    f"yolov8{scale}": f"depth={depth:g} width={width:g} max_channels={cap}; {YOLOV8_LAYERS}"
    for scale, (depth, width, cap) in YOLOV8_SCALES.items()
}

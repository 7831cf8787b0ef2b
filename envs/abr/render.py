"""``rgb_array`` frames of the ABR env, drawn with numpy only.

The frame shows the last ``history_len`` chunks: the bitrate of each chunk as a blue bar
(height = bitrate / max bitrate), the buffer after it as an orange bar (height = buffer / cap)
and a red bar under chunks that rebuffered (height = rebuffer / chunk length, capped at 1).
"""

from __future__ import annotations

import numpy as np

HEIGHT, WIDTH = 160, 320
_BACKGROUND = np.array([250, 250, 250], dtype=np.uint8)
_BITRATE = np.array([52, 101, 164], dtype=np.uint8)
_BUFFER = np.array([245, 121, 0], dtype=np.uint8)
_REBUFFER = np.array([204, 0, 0], dtype=np.uint8)


def draw(
    bitrate_frac: np.ndarray, buffer_frac: np.ndarray, rebuffer_frac: np.ndarray
) -> np.ndarray:
    """One frame (HEIGHT, WIDTH, 3) uint8 from per-chunk fractions in [0, 1], oldest first."""
    frame = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
    frame[:] = _BACKGROUND
    count = len(bitrate_frac)
    slot = WIDTH // max(count, 1)
    plot = HEIGHT - 20
    for column, (rate, buffer, stall) in enumerate(
        zip(bitrate_frac, buffer_frac, rebuffer_frac, strict=True)
    ):
        left = column * slot + 2
        half = max((slot - 6) // 2, 1)
        for offset, value, colour in ((0, rate, _BITRATE), (half + 1, buffer, _BUFFER)):
            top = plot - int(round(np.clip(value, 0.0, 1.0) * (plot - 4)))
            frame[top:plot, left + offset : left + offset + half] = colour
        stall_px = int(round(np.clip(stall, 0.0, 1.0) * 16))
        frame[plot + 2 : plot + 2 + stall_px, left : left + 2 * half + 1] = _REBUFFER
    return frame

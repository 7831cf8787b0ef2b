"""Videos of episodes: Gymnasium's ``RecordVideo`` over an env's ``rgb_array`` frames.

``RecordVideo`` encodes with moviepy, which netgym installs only with its ``video`` extra
(``pip install "netgym[video]"``); ``check_video_support`` says so before anything runs, so that
``netgym evaluate --video`` and ``train.py --capture-video`` fail at once with the install
command rather than after an evaluation or a training run. Every episode is recorded, each to
``<folder>/<name_prefix>-episode-<i>.mp4``, at most ``video_length`` frames of it (the frames of
an episode are held in memory until it ends).
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
from netgym.extras import install_command, require

VIDEO_EXTRA = install_command("video")
"""the command that installs the encoder (moviepy, with its ffmpeg)"""
DEFAULT_VIDEO_LENGTH = 500
"""frames recorded per episode at most (about 125 MB of 640 x 400 frames in memory)"""


def check_video_support() -> None:
    """Raise ``ImportError`` naming netgym's ``video`` extra unless moviepy can be imported."""
    require("moviepy", "video", "recording videos (gymnasium's RecordVideo encodes with it)")


def record_video(
    env: gym.Env,
    folder: str | Path,
    name_prefix: str = "netgym",
    video_length: int = DEFAULT_VIDEO_LENGTH,
) -> gym.Env:
    """Wrap ``env`` (built with ``render_mode="rgb_array"``) so that every episode is written
    to ``folder`` as an mp4 (``RecordVideo`` with an every-episode trigger).

    Raises:
        ImportError: moviepy is missing (the message names ``netgym[video]``).
        ValueError: the env does not draw ``rgb_array`` frames, or ``video_length`` < 1.
    """
    check_video_support()
    if env.render_mode != "rgb_array":
        raise ValueError(
            f"a video needs an env built with render_mode='rgb_array', got {env.render_mode!r}"
        )
    if video_length < 1:
        raise ValueError(f"video_length must be >= 1 frame, got {video_length}")
    return gym.wrappers.RecordVideo(
        env,
        video_folder=str(folder),
        episode_trigger=lambda _episode: True,
        video_length=video_length,
        name_prefix=name_prefix,
        disable_logger=True,
    )


__all__ = ["DEFAULT_VIDEO_LENGTH", "VIDEO_EXTRA", "check_video_support", "record_video"]

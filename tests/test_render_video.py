"""Videos of episodes (issue #15, part 2): ``netgym evaluate --video DIR`` and
``train.py --capture-video`` record through gymnasium's ``RecordVideo``, whose encoder (moviepy)
comes with the ``video`` extra and is named when it is missing.

Where moviepy is installed, one test writes real mp4 files; everywhere, a stand-in encoder proves
the wiring (every episode recorded, every frame passed on) and the error path is exercised."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from netgym.cli.main import main
from netgym.cli.train import main as train_main
from netgym.evaluation import evaluate
from netgym.video import VIDEO_EXTRA, check_video_support, record_video
from test_training import fake, train_args  # noqa: F401 (the fixture registers a fake agent)

CHAIN = ["--env", "netgym/RepeaterChain-v0", "--policy", "swap-asap", "--seed", "3"]
SHORT = ["--env-kwargs", '{"max_steps": 12}']
HAS_MOVIEPY = importlib.util.find_spec("moviepy") is not None


@pytest.fixture
def no_moviepy(monkeypatch):
    """moviepy cannot be imported (as on an install without the video extra)."""
    for name in list(sys.modules):
        if name == "moviepy" or name.startswith("moviepy."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "moviepy", None)  # import moviepy -> ImportError


@pytest.fixture
def stand_in_encoder(monkeypatch):
    """A fake moviepy whose clips save their frames as .npy files at the video's path; returns
    the list of (path, frames, fps) written."""
    written: list[tuple[str, np.ndarray, float]] = []

    class ImageSequenceClip:
        def __init__(self, frames, fps):
            self.frames, self.fps = np.stack(frames), fps

        def write_videofile(self, path, logger=None):
            written.append((path, self.frames, self.fps))
            Path(path).write_bytes(b"stand-in mp4")

    modules = {
        "moviepy": types.ModuleType("moviepy"),
        "moviepy.video": types.ModuleType("moviepy.video"),
        "moviepy.video.io": types.ModuleType("moviepy.video.io"),
        "moviepy.video.io.ImageSequenceClip": types.ModuleType("ImageSequenceClip"),
    }
    modules["moviepy.video.io.ImageSequenceClip"].ImageSequenceClip = ImageSequenceClip
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return written


def test_a_missing_encoder_is_named_with_the_video_extra(no_moviepy):
    with pytest.raises(ImportError, match=r'pip install "netgym\[video\]"'):
        check_video_support()
    assert VIDEO_EXTRA == 'pip install "netgym[video]"'


def test_evaluate_video_without_the_encoder_fails_before_playing(no_moviepy, tmp_path, capsys):
    assert main(["evaluate", *CHAIN, "--video", str(tmp_path / "videos")]) == 2
    error = capsys.readouterr().err
    assert "--video" in error and 'pip install "netgym[video]"' in error
    assert not (tmp_path / "videos").exists()
    with pytest.raises(ImportError, match="netgym"):
        evaluate("swap-asap", "netgym/RepeaterChain-v0", 1, 0, video_dir=tmp_path / "v")


def test_capture_video_without_the_encoder_fails_before_training(
    fake,  # noqa: F811
    no_moviepy,
    tmp_path,
    capsys,
):
    out = tmp_path / "run"
    assert train_main([*train_args(out), "--capture-video"]) == 2
    assert 'pip install "netgym[video]"' in capsys.readouterr().err
    assert not (out / "model").exists()  # nothing was trained


def test_evaluate_video_records_every_episode_frame_by_frame(stand_in_encoder, tmp_path, capsys):
    videos = tmp_path / "videos"
    assert main(["evaluate", *CHAIN, *SHORT, "--episodes", "2", "--video", str(videos)]) == 0
    assert f"videos: one mp4 per episode in {videos}" in capsys.readouterr().out
    names = sorted(Path(path).name for path, _, _ in stand_in_encoder)
    assert names == ["SwapAsap-seed3-episode-0.mp4", "SwapAsap-seed3-episode-1.mp4"]
    assert sorted(p.name for p in videos.iterdir()) == names
    result = evaluate("swap-asap", "netgym/RepeaterChain-v0", 2, 3, {"max_steps": 12})
    for (_, frames, fps), steps in zip(stand_in_encoder, result.lengths, strict=True):
        assert frames.shape == (steps + 1, 320, 640, 3) and frames.dtype == np.uint8
        assert fps == 4  # the env's render_fps


def test_recording_does_not_change_the_scores(stand_in_encoder, tmp_path):
    kwargs = {"synthetic_traces": {"n_traces": 3}}
    plain = evaluate("bba", "netgym/AbrStreaming-v0", 2, 5, kwargs)
    recorded = evaluate("bba", "netgym/AbrStreaming-v0", 2, 5, kwargs, video_dir=tmp_path / "v")
    assert recorded.returns == plain.returns and recorded.lengths == plain.lengths
    assert len(stand_in_encoder) == 2


def test_capture_video_records_the_agents_final_evaluation(
    fake,  # noqa: F811
    stand_in_encoder,
    tmp_path,
    capsys,
):
    out = tmp_path / "run"
    assert train_main([*train_args(out, "--eval-baselines", "bba"), "--capture-video"]) == 0
    videos = sorted(p.name for p in (out / "videos").iterdir())
    assert len(videos) == 2 and all(name.endswith(".mp4") for name in videos)  # the agent only
    assert f"videos of the agent's evaluation episodes in {out / 'videos'}" in (
        capsys.readouterr().out
    )


def test_record_video_needs_an_rgb_array_env(stand_in_encoder, tmp_path):
    import gymnasium as gym

    env = gym.make("netgym/RepeaterChain-v0", render_mode="ansi")
    with pytest.raises(ValueError, match="render_mode='rgb_array'"):
        record_video(env, tmp_path)


@pytest.mark.skipif(
    not HAS_MOVIEPY, reason='moviepy is not installed: pip install "netgym[video]" to run this'
)
def test_evaluate_video_writes_playable_mp4_files(tmp_path):
    videos = tmp_path / "videos"
    assert main(["evaluate", *CHAIN, *SHORT, "--episodes", "1", "--video", str(videos)]) == 0
    files = list(videos.glob("*.mp4"))
    assert len(files) == 1 and files[0].stat().st_size > 1000
    assert files[0].read_bytes()[4:8] == b"ftyp"  # an MP4 container

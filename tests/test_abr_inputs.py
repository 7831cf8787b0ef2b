"""Bad inputs to ``netgym/AbrStreaming-v0`` fail early with an error that names what is wrong
and where (the file and line, the field, the allowed range)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from netgym.envs.abr import AbrParams, AbrStreamingEnv, AbrStreamingVectorEnv

GOOD_TRACE = "0 1.0\n1 2.0\n2 1.5\n"


def trace_folder(root: Path, text: str, name: str = "trace_a") -> Path:
    folder = root / "traces"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def video_folder(root: Path, lines_per_level=(49,) * 6) -> Path:
    folder = root / "video"
    folder.mkdir(parents=True, exist_ok=True)
    for level, lines in enumerate(lines_per_level):
        (folder / f"video_size_{level}").write_text(f"{1000 * (level + 1)}\n" * lines)
    return folder


# ----------------------------------------------------------------------------- trace files
def test_missing_trace_folder_raises_file_not_found_naming_it(tmp_path):
    missing = tmp_path / "no_such_traces"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        AbrStreamingEnv(traces=missing)


def test_empty_trace_folder_is_rejected(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=f"{re.escape(str(empty))}.*no trace files"):
        AbrStreamingEnv(traces=empty)


def test_trace_folder_with_only_hidden_and_json_files_counts_as_empty(tmp_path):
    folder = tmp_path / "traces"
    folder.mkdir()
    (folder / ".hidden").write_text(GOOD_TRACE)
    (folder / "start_pointers.json").write_text("[1]")
    with pytest.raises(ValueError, match="no trace files"):
        AbrStreamingEnv(traces=folder)


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        ("0 1.0\n1 fast\n", 2, "expected two numbers"),
        ("0 1.0\n1 2.0\n2 1.0 7\n", 3, "expected 'time_s Mbps'"),
        ("0 1.0\n1\n", 2, "expected 'time_s Mbps'"),
        ("0 1.0\n1 nan\n", 2, "finite"),
        ("0 1.0\ninf 1.0\n", 2, "finite"),
    ],
    ids=["not-a-number", "three-columns", "one-column", "nan", "inf"],
)
def test_malformed_trace_line_names_the_file_and_line(tmp_path, text, line, detail):
    folder = trace_folder(tmp_path, text, name="bad_trace")
    with pytest.raises(ValueError, match=rf"bad_trace line {line}: .*{re.escape(detail)}"):
        AbrStreamingEnv(traces=folder)


def test_trace_that_does_not_start_at_zero_is_rejected(tmp_path):
    folder = trace_folder(tmp_path, "0.5 1.0\n1.5 2.0\n")
    with pytest.raises(ValueError, match=r"trace_a line 1: the first time must be 0"):
        AbrStreamingEnv(traces=folder)


@pytest.mark.parametrize("text", ["0 1\n2 1\n2 1\n", "0 1\n2 1\n1 1\n"], ids=["equal", "back"])
def test_trace_times_that_do_not_increase_are_rejected(tmp_path, text):
    folder = trace_folder(tmp_path, text)
    with pytest.raises(ValueError, match=r"trace_a line 3: time .* does not increase"):
        AbrStreamingEnv(traces=folder)


def test_negative_bandwidth_is_rejected(tmp_path):
    folder = trace_folder(tmp_path, "0 1.0\n1 2.0\n2 -0.5\n")
    with pytest.raises(ValueError, match=r"trace_a line 3: bandwidth must be >= 0, got -0.5"):
        AbrStreamingEnv(traces=folder)


@pytest.mark.parametrize("text", ["0 0\n1 0\n2 0\n", "0 5.0\n1 0\n2 0\n"], ids=["all", "after-0"])
def test_trace_with_zero_bandwidth_everywhere_is_rejected(tmp_path, text):
    folder = trace_folder(tmp_path, text)
    with pytest.raises(ValueError, match=r"trace_a.*zero everywhere"):
        AbrStreamingEnv(traces=folder)


def test_trace_with_a_single_sample_is_rejected(tmp_path):
    folder = trace_folder(tmp_path, "0 5.0\n")
    with pytest.raises(ValueError, match=r"trace_a.*at least 2 samples"):
        AbrStreamingEnv(traces=folder)


def test_one_bad_file_among_good_ones_is_named(tmp_path):
    trace_folder(tmp_path, GOOD_TRACE, name="a_good")
    folder = trace_folder(tmp_path, "0 1\n1 x\n", name="b_bad")
    with pytest.raises(ValueError, match=r"b_bad line 2"):
        AbrStreamingEnv(traces=folder)


def test_list_of_trace_files_with_a_missing_file_is_rejected(tmp_path):
    good = trace_folder(tmp_path, GOOD_TRACE) / "trace_a"
    missing = tmp_path / "gone"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        AbrStreamingEnv(traces=[good, missing])


# ----------------------------------------------------------------------------- video files
def test_missing_video_folder_raises_file_not_found_naming_it(tmp_path):
    missing = tmp_path / "no_video"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        AbrStreamingEnv(video=missing)


def test_video_files_with_unequal_chunk_counts_are_rejected(tmp_path):
    folder = video_folder(tmp_path, (49, 49, 48, 49, 49, 49))
    with pytest.raises(ValueError, match=r"unequal chunk counts.*video_size_2: 48"):
        AbrStreamingEnv(video=folder)


def test_video_level_count_must_match_the_ladder(tmp_path):
    folder = video_folder(tmp_path, (49,) * 5)
    with pytest.raises(ValueError, match=r"5 levels but ladder_kbps has 6"):
        AbrStreamingEnv(video=folder)
    env = AbrStreamingEnv(video=folder, ladder_kbps=(300, 750, 1200, 1850, 2850))
    assert env.action_space.n == 5


def test_video_level_files_with_a_gap_are_rejected(tmp_path):
    folder = video_folder(tmp_path)
    (folder / "video_size_3").unlink()
    with pytest.raises(ValueError, match=r"numbered 0..L-1 without gaps"):
        AbrStreamingEnv(video=folder)


@pytest.mark.parametrize(("value", "detail"), [("12.5", "integer"), ("0", "> 0")])
def test_bad_chunk_size_names_the_video_file_and_line(tmp_path, value, detail):
    folder = video_folder(tmp_path)
    (folder / "video_size_4").write_text("1000\n" * 10 + f"{value}\n" + "1000\n" * 38)
    with pytest.raises(ValueError, match=rf"video_size_4 line 11: .*{re.escape(detail)}"):
        AbrStreamingEnv(video=folder)


def test_n_chunks_beyond_the_video_is_rejected(tmp_path):
    folder = video_folder(tmp_path, (10,) * 6)
    with pytest.raises(ValueError, match=r"n_chunks=20 .* only 10 chunk sizes"):
        AbrStreamingEnv(video=folder, n_chunks=20)


# ----------------------------------------------------------------------------- actions
@pytest.mark.parametrize("action", [-1, 6, 2.5, "a", None, np.array([2])])
def test_scalar_env_rejects_actions_outside_the_space(action):
    env = AbrStreamingEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be .*\[0, 5\]"):
        env.step(action)


def test_scalar_env_accepts_numpy_integer_actions():
    env = AbrStreamingEnv()
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.int64(4))
    assert info["quality"] == 4
    _, _, _, _, info = env.step(np.array(2))
    assert info["quality"] == 2


@pytest.mark.parametrize(
    ("actions", "match"),
    [
        (np.array([0, 1]), r"shape \(3,\)"),
        (np.array([[0, 1, 2]]), r"shape \(3,\)"),
        (np.array([0, 6, 1]), r"\[0, 5\], got 6"),
        (np.array([-1, 0, 1]), r"\[0, 5\], got -1"),
        (np.array([0.0, 1.0, 2.0]), r"integer levels, got dtype float64"),
    ],
    ids=["short", "2d", "too-high", "negative", "float"],
)
def test_vector_env_rejects_bad_action_batches(actions, match):
    venv = AbrStreamingVectorEnv(num_envs=3)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        venv.step(actions)


@pytest.mark.parametrize("num_envs", [0, -2, 1.5, True])
def test_vector_env_rejects_a_bad_num_envs(num_envs):
    with pytest.raises(ValueError, match="num_envs must be a positive integer"):
        AbrStreamingVectorEnv(num_envs=num_envs)


# ----------------------------------------------------------------------------- reset and order
def test_step_before_reset_is_an_error():
    with pytest.raises(RuntimeError, match="reset"):
        AbrStreamingEnv().step(0)
    with pytest.raises(RuntimeError, match="reset"):
        AbrStreamingVectorEnv(num_envs=2).step(np.array([0, 0]))


@pytest.mark.parametrize("env_cls", [AbrStreamingEnv, AbrStreamingVectorEnv])
def test_unknown_reset_option_is_rejected(env_cls):
    env = env_cls()
    with pytest.raises(ValueError, match=r"unknown reset options \['trace'\].*trace_index"):
        env.reset(seed=0, options={"trace": 3})


@pytest.mark.parametrize("env_cls", [AbrStreamingEnv, AbrStreamingVectorEnv])
@pytest.mark.parametrize("index", [-1, 100])
def test_out_of_range_trace_index_is_rejected(env_cls, index):
    env = env_cls()
    with pytest.raises(ValueError, match=r"trace_index must be in \[0, 99\]"):
        env.reset(seed=0, options={"trace_index": index})


def test_out_of_range_trace_index_is_rejected_by_the_deterministic_vector_env():
    venv = AbrStreamingVectorEnv(num_envs=2, trace_order="sequential", start="beginning")
    with pytest.raises(ValueError, match=r"trace_index must be in \[0, 99\]"):
        venv.reset(seed=0, options={"trace_index": 100})


@pytest.mark.parametrize("env_cls", [AbrStreamingEnv, AbrStreamingVectorEnv])
@pytest.mark.parametrize("index", [2.5, "3", [1, 2, 3]])
def test_non_integer_trace_index_is_rejected(env_cls, index):
    env = env_cls()
    with pytest.raises(ValueError, match="trace_index must be"):
        env.reset(seed=0, options={"trace_index": index})


def test_start_pointer_list_must_have_one_pointer_per_trace(tmp_path):
    folder = trace_folder(tmp_path, GOOD_TRACE, name="a")
    trace_folder(tmp_path, GOOD_TRACE, name="b")
    with pytest.raises(ValueError, match=r"start has 3 pointers but there are 2 traces"):
        AbrStreamingEnv(traces=folder, start=[1, 1, 1])


def test_start_pointer_past_the_end_of_its_trace_is_rejected(tmp_path):
    folder = trace_folder(tmp_path, GOOD_TRACE, name="a")
    with pytest.raises(ValueError, match=r"start pointer 3 for trace a must be < its 3 samples"):
        AbrStreamingEnv(traces=folder, start=[3])


# ----------------------------------------------------------------------------- AbrParams
@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("rtt_s", -0.01, r"AbrParams.rtt_s must be >= 0"),
        ("payload_share", 0, r"AbrParams.payload_share must be > 0"),
        ("payload_share", 1.2, r"AbrParams.payload_share must be <= 1"),
        ("buffer_cap_s", 3.5, r"AbrParams.buffer_cap_s must be >= 4.0"),
        ("default_quality", 6, r"AbrParams.default_quality must be <= 5"),
        ("default_quality", -1, r"AbrParams.default_quality must be >= 0"),
        ("default_quality", 1.5, r"AbrParams.default_quality must be an integer"),
        ("history_len", 5, r"history_len \(5\) must be >= the number of levels \(6\)"),
        ("history_len", 4, r"AbrParams.history_len must be >= 5"),
        ("qoe", "cubic", r"AbrParams.qoe must be one of \['linear', 'log', 'hd'\]"),
        ("trace_order", "shuffle", r"AbrParams.trace_order must be one of"),
        ("start", "middle", r"AbrParams.start must be one of"),
        ("start", [1, 0], r"AbrParams.start pointers must be >= 1"),
        ("noise", (1.1, 0.9), r"AbrParams.noise\[1\] must be >= 1.1"),
        ("noise", (0.0, 1.1), r"AbrParams.noise\[0\] must be > 0"),
        ("noise", 0.1, r"AbrParams.noise must be a list or tuple"),
        ("chunk_s", 0, r"AbrParams.chunk_s must be > 0"),
        ("drain_s", -0.5, r"AbrParams.drain_s must be > 0"),
        ("rebuffer_penalty", -1, r"AbrParams.rebuffer_penalty must be >= 0"),
        ("ladder_kbps", (300, 300, 750), r"AbrParams.ladder_kbps must be increasing"),
        ("ladder_kbps", (300,), r"AbrParams.ladder_kbps must have at least 2"),
        ("n_chunks", 1, r"AbrParams.n_chunks must be >= 2"),
        ("rtt_s", float("nan"), r"AbrParams.rtt_s must be finite"),
        ("traces", 42, r"AbrParams.traces must be 'synthetic', a folder"),
        ("video", ["a", "b"], r"AbrParams.video must be 'synthetic', a folder, got"),
    ],
)
def test_out_of_range_params_name_the_field_and_the_bound(field, value, match):
    with pytest.raises(ValueError, match=match):
        AbrParams(**{field: value})


def test_hd_utilities_must_have_one_entry_per_level():
    with pytest.raises(ValueError, match=r"hd_utilities has 3 entries but the ladder has 6"):
        AbrParams(qoe="hd", hd_utilities=(1, 2, 3))


@pytest.mark.parametrize("env_cls", [AbrStreamingEnv, AbrStreamingVectorEnv])
def test_unknown_keyword_is_rejected_with_the_known_names(env_cls):
    with pytest.raises(ValueError, match=r"unknown AbrStreaming parameters \['rtt'\].*rtt_s"):
        env_cls(rtt=0.1)


@pytest.mark.parametrize(
    ("field", "value"),
    [("history_len", 8.0), ("default_quality", 1.0), ("n_chunks", 10.0)],
)
def test_whole_number_floats_are_accepted_as_integers(field, value):
    env = AbrStreamingEnv(**{field: value})
    assert isinstance(getattr(env.params, field), int)
    env.reset(seed=0)
    env.step(1)


def test_synthetic_specs_must_be_specs_or_dicts_of_their_fields():
    with pytest.raises(ValueError, match="synthetic_traces must be a SyntheticTraces"):
        AbrParams(synthetic_traces=[1, 2])
    with pytest.raises(ValueError, match=r"unknown fields \['n'\]"):
        AbrParams(synthetic_video={"n": 3})
    params = AbrParams(synthetic_traces={"n_traces": 5.0})
    assert params.synthetic_traces.n_traces == 5


def test_binary_files_beside_traces_are_skipped_or_named(tmp_path):
    folder = trace_folder(tmp_path, GOOD_TRACE, name="a")
    (folder / "mahimahi_ptrs.pkl").write_bytes(b"\x80\x04\x95")
    assert len(AbrStreamingEnv(traces=folder).model.table) == 1
    (folder / "b").write_bytes(b"\x80\x04\x95\xff")
    with pytest.raises(ValueError, match=r"trace .*b: not a text file"):
        AbrStreamingEnv(traces=folder)


def test_changed_trace_files_are_read_again(tmp_path):
    folder = trace_folder(tmp_path, "0 1\n1 1\n2 1\n", name="a")
    before = AbrStreamingEnv(traces=folder, trace_order="sequential", start="beginning")
    slow = before.reset(seed=0)[1]["download_time_s"]
    (folder / "a").write_text("0 5\n1 5\n2 5\n3 5\n")
    after = AbrStreamingEnv(traces=folder, trace_order="sequential", start="beginning")
    fast = after.reset(seed=0)[1]["download_time_s"]
    assert fast < slow / 4


def test_params_are_frozen_and_replace_validates_again():
    params = AbrParams()
    with pytest.raises(AttributeError):
        params.rtt_s = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="rtt_s"):
        params.replace(rtt_s=-1)
    assert params.replace(rtt_s=0.1).rtt_s == 0.1


def test_preset_with_a_missing_data_folder_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        AbrParams.hsdpa142(tmp_path / "nowhere")

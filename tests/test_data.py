"""``netgym.data`` and ``netgym data``: the packaged manifest, the data root, checksummed fetches
from a mirror on 127.0.0.1, their failures, verification and repair.

Every server here is a thread of this process on 127.0.0.1 at an ephemeral port; no test
touches another address (the no-network case replaces ``urlopen``).
"""

from __future__ import annotations

import errno
import json
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.error import URLError

import pytest
from conftest import require_datasets, serve, serve_folder
from netgym.cli.main import main
from netgym.data import (
    DataChecksumError,
    DataMissingError,
    FetchError,
    check_files,
    data_root,
    dataset_folder,
    fetch,
    fetch_command,
    get_dataset,
    load_manifest,
    require,
    resolve_folder,
    verify,
)
from netgym.data import download as download_module
from netgym.data.manifest import ManifestError, parse_manifest

EXPECTED_FILES = {
    "abr/fcc-test": 101,
    "abr/fcc-train": 235,
    "abr/fcc-valid": 150,
    "abr/hsdpa-test": 142,
    "abr/pensieve-train": 127,
    "abr/video1": 6,
    "abr/video2": 6,
}


def files_under(folder: Path) -> list[str]:
    """Every file below ``folder`` (hidden ones included), relative."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------- manifest
def test_packaged_manifest_lists_every_data_set_with_its_source_licence_and_checksums():
    datasets = load_manifest()
    for name, count in EXPECTED_FILES.items():
        dataset = datasets[name]
        assert len(dataset.files) == count, name
        assert dataset.licence in ("MIT", "BSD-2-Clause") and len(dataset.commit) == 40
        assert all(len(f.sha256) == 64 and f.size > 0 for f in dataset.files)
    assert "mahimahi_ptrs.pkl" in {f.name for f in datasets["abr/fcc-test"].files}
    video = datasets["abr/video1"]
    assert video.url(video.files[0]) == (
        "https://raw.githubusercontent.com/duowuyms/NetLLM/"
        "105bcf070f2bec808f7b14f8f5a953de6e4e6e54/adaptive_bitrate_streaming/data/videos/"
        "video1_sizes/video_size_0"
    )
    assert video.url(video.files[0], "http://m/x/") == "http://m/x/abr/video1/video_size_0"


def test_short_and_full_names_resolve_and_an_unknown_name_lists_the_known():
    assert get_dataset("fcc-test") is get_dataset("abr/fcc-test")
    with pytest.raises(ValueError, match="unknown data set 'fcc-tset'.*abr/fcc-test"):
        get_dataset("fcc-tset")


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs", "a/../b", ".hidden", "a\\b"])
def test_manifest_refuses_unsafe_file_names(name):
    payload = {
        "format": 1,
        "url_template": "{repo}{commit}{path}{file}",
        "datasets": {
            "abr/x": {
                "repo": "o/r",
                "commit": "c",
                "path": "p",
                "licence": "MIT",
                "files": {name: {"bytes": 1, "sha256": "0" * 64}},
            }
        },
    }
    with pytest.raises(ManifestError, match="unsafe file name"):
        parse_manifest(payload)


# ---------------------------------------------------------------------------------- root
def test_data_root_is_root_then_netgym_data_then_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("NETGYM_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data_root(tmp_path / "given") == tmp_path / "given"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("NETGYM_DATA")
    assert data_root() == tmp_path / "cache" / "netgym" / "data"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data_root() == Path.home() / ".cache" / "netgym" / "data"
    assert dataset_folder("fcc-test", tmp_path) == tmp_path / "abr" / "fcc-test"


def test_a_missing_data_set_names_the_fetch_command(no_data):
    with pytest.raises(DataMissingError, match="run `netgym data fetch abr/fcc-test abr/video1`"):
        require(["fcc-test", "video1"])
    assert fetch_command(["video1"], "/r") == "netgym data fetch abr/video1 --root /r"
    with pytest.raises(DataMissingError, match=f"{no_data}.*netgym data fetch abr/hsdpa-test"):
        resolve_folder("hsdpa-test")
    assert resolve_folder("not-a-data-set") is None


def test_missing_data_skips_with_the_fetch_command_and_fails_under_ci(no_data, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="netgym data fetch abr/fcc-test"):
        require_datasets("abr/fcc-test")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="netgym data fetch abr/fcc-test"):
        require_datasets("abr/fcc-test")


# ---------------------------------------------------------------------------------- fetching
def test_fetch_from_a_mirror_is_verified_reports_progress_and_skips_valid_files(
    tmp_path, data_mirror
):
    states = []
    report = fetch(
        ["video1", "abr/fcc-test"],
        root=tmp_path,
        mirror=data_mirror,
        workers=3,
        progress=lambda s: states.append((s.files_done, s.bytes_done, s.files_total)),
    )
    total = get_dataset("video1").size + get_dataset("fcc-test").size
    assert len(report.downloaded) == 107 and report.bytes_downloaded == total
    assert states[-1] == (107, total, 107)
    assert all(not problems for problems in verify(root=tmp_path).values())
    assert files_under(tmp_path / "abr" / "video1") == [f"video_size_{i}" for i in range(6)]
    again = fetch(["video1"], root=tmp_path, mirror=data_mirror)
    assert again.downloaded == [] and len(again.skipped) == 6


def test_mirror_may_be_a_folder_or_come_from_the_environment(tmp_path, data_mirror, monkeypatch):
    shared = require_datasets("abr/video1")
    assert len(fetch(["video1"], root=tmp_path / "a", mirror=str(shared)).downloaded) == 6
    monkeypatch.setenv("NETGYM_DATA_MIRROR", data_mirror)
    assert len(fetch(["video1"], root=tmp_path / "b").downloaded) == 6


def test_a_stale_partial_download_is_removed_and_the_file_fetched(tmp_path, data_mirror):
    folder = tmp_path / "abr" / "video1"
    folder.mkdir(parents=True)
    (folder / ".video_size_0.part-abc").write_bytes(b"half")
    (folder / "video_size_1").write_bytes(b"not the published bytes")
    report = fetch(["video1"], root=tmp_path, mirror=data_mirror)
    assert len(report.downloaded) == 6
    assert files_under(folder) == [f"video_size_{i}" for i in range(6)]


def test_a_corrupted_byte_is_named_by_verify_and_repaired_by_fetch(
    tmp_path, data_mirror, capsys, monkeypatch
):
    fetch(["fcc-test", "video1"], root=tmp_path, mirror=data_mirror)
    trace = (
        tmp_path / "abr" / "fcc-test" / "010_test_fcc_trace_14731_http---www.facebook.com_1140_0"
    )
    data = bytearray(trace.read_bytes())
    data[5] ^= 1
    trace.write_bytes(bytes(data))
    code, out, err = run(capsys, ["data", "verify", "--root", str(tmp_path)])
    assert code == 1
    assert f"{trace}: sha256" in out and "abr/fcc-test: 1 bad files" in out
    assert "abr/video1: ok" in out and "netgym data fetch abr/fcc-test --root" in err
    monkeypatch.setenv("NETGYM_DATA", str(tmp_path))
    from netgym.leaderboard import get_protocol

    with pytest.raises(DataChecksumError, match=f"'fcc100' reads {trace}.*not the published"):
        get_protocol("fcc100").require_data(None)
    argv = ["data", "fetch", "fcc-test", "--root", str(tmp_path), "--mirror", data_mirror]
    code, out, err = run(capsys, [*argv, "--no-progress"])
    assert code == 0 and "fetched 1 files" in out and "100 were already there" in out
    assert run(capsys, ["data", "verify", "fcc-test", "--root", str(tmp_path)])[0] == 0


class DroppingHandler(BaseHTTPRequestHandler):
    """Announces the whole file, sends 10 bytes and closes the connection."""

    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802 (the base's name)
        type(self).paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_a_connection_dropped_mid_file_is_retried_then_named_and_leaves_no_file(tmp_path, capsys):
    DroppingHandler.paths.clear()
    with serve(DroppingHandler) as url:
        argv = ["data", "fetch", "video1", "--root", str(tmp_path), "--mirror", url]
        code, out, err = run(capsys, [*argv, "--retries", "1", "--workers", "1", "--no-progress"])
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert f"{url}/abr/video1/video_size_0" in line and "(file abr/video1/video_size_0)" in line
    assert "dropped after 10 of" in line and "gave up after 2 tries" in line
    assert DroppingHandler.paths == ["/abr/video1/video_size_0"] * 2  # bounded, then stopped
    assert files_under(tmp_path) == []


def test_a_404_is_named_and_leaves_no_file(tmp_path, capsys):
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    with serve_folder(empty) as url:
        argv = ["data", "fetch", "abr/video1", "--root", str(tmp_path / "root"), "--mirror", url]
        code, out, err = run(capsys, [*argv, "--no-progress"])
    assert code == 1
    (line,) = err.strip().splitlines()
    assert "HTTP 404" in line and f"{url}/abr/video1/video_size_" in line
    assert "(file abr/video1/video_size_" in line
    assert files_under(tmp_path / "root") == []


def test_a_checksum_mismatch_is_named_and_the_download_removed(tmp_path):
    shared = require_datasets("abr/video1")
    bad = tmp_path / "mirror" / "abr" / "video1"
    bad.mkdir(parents=True)
    for source in (shared / "abr" / "video1").iterdir():
        (bad / source.name).write_bytes(source.read_bytes())
    data = bytearray((bad / "video_size_3").read_bytes())
    data[0] = ord("9") if data[0] != ord("9") else ord("8")
    (bad / "video_size_3").write_bytes(bytes(data))
    with serve_folder(tmp_path / "mirror") as url:
        with pytest.raises(FetchError) as caught:
            fetch(["video1"], root=tmp_path / "root", mirror=url, workers=1)
    message = str(caught.value)
    assert message.startswith("checksum mismatch for abr/video1/video_size_3 from ")
    assert f"{url}/abr/video1/video_size_3" in message and "the download was removed" in message
    assert "video_size_3" not in files_under(tmp_path / "root" / "abr" / "video1")


def test_a_refused_connection_says_to_use_a_mirror_or_copy_the_files(tmp_path, capsys):
    with socket.socket() as probe:  # a port on 127.0.0.1 that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = ["data", "fetch", "video2", "--root", str(tmp_path), "--no-progress"]
    code, _, err = run(capsys, [*argv, "--mirror", f"http://127.0.0.1:{port}"])
    (line,) = err.strip().splitlines()
    assert code == 1 and f"connection refused by 127.0.0.1:{port}" in line
    assert "(file abr/video2/video_size_" in line
    assert f"run with --mirror URL or copy the files to {tmp_path / 'abr' / 'video2'}" in line
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (socket.gaierror(-2, "Name or service not known"), "no network: cannot reach"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "no network: cannot reach"),
    ],
)
def test_no_network_says_to_use_a_mirror_or_copy_the_files(tmp_path, monkeypatch, reason, expected):
    def offline(*args: Any, **kwargs: Any) -> Any:
        raise URLError(reason)

    monkeypatch.delenv("NETGYM_DATA_MIRROR", raising=False)  # the upstream URL
    monkeypatch.setattr(download_module, "urlopen", offline)
    with pytest.raises(FetchError) as caught:
        fetch(["video1"], root=tmp_path, workers=1)
    message = str(caught.value)
    assert message.startswith(f"{expected} raw.githubusercontent.com for https://")
    assert "(file abr/video1/video_size_0)" in message
    assert f"run with --mirror URL or copy the files to {tmp_path / 'abr' / 'video1'}" in message


def test_timeouts_are_retried_a_bounded_number_of_times(tmp_path, monkeypatch):
    calls = []

    def slow(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["timeout"])
        raise TimeoutError("timed out")

    monkeypatch.delenv("NETGYM_DATA_MIRROR", raising=False)
    monkeypatch.setattr(download_module, "urlopen", slow)
    with pytest.raises(FetchError, match="timed out.*gave up after 3 tries"):
        fetch(["video1"], root=tmp_path, workers=1, retries=2, backoff_s=0, timeout_s=7)
    assert calls == [7, 7, 7]


# ---------------------------------------------------------------------------------- cli
def test_list_shows_what_is_fetched_and_path_prints_the_folder(tmp_path, data_mirror, capsys):
    fetch(["video1"], root=tmp_path, mirror=data_mirror)
    code, out, _ = run(capsys, ["data", "list", "--root", str(tmp_path), "--json"])
    rows = {row["name"]: row for row in json.loads(out)["datasets"]}
    assert code == 0 and set(EXPECTED_FILES) <= set(rows)
    assert rows["abr/video1"]["fetched"] and not rows["abr/fcc-test"]["fetched"]
    assert rows["abr/hsdpa-test"]["licence"] == "BSD-2-Clause"
    code, out, _ = run(capsys, ["data", "list", "--root", str(tmp_path)])
    assert code == 0 and "abr/video1" in out and "yes" in out and "MIT" in out
    code, out, _ = run(capsys, ["data", "path", "video1", "--root", str(tmp_path)])
    assert code == 0 and out.strip() == str(tmp_path / "abr" / "video1")
    code, out, err = run(capsys, ["data", "path", "fcc-test", "--root", str(tmp_path)])
    assert code == 1 and "netgym data fetch abr/fcc-test --root" in err


def test_cli_usage_errors_exit_2(capsys, tmp_path):
    assert run(capsys, ["data", "fetch", "--root", str(tmp_path)])[0] == 2
    code, _, err = run(capsys, ["data", "fetch", "nope", "--root", str(tmp_path)])
    assert code == 2 and "unknown data set 'nope'" in err
    code, _, err = run(capsys, ["data", "verify", "--root", str(tmp_path)])
    assert code == 1 and "no data set under" in err


def test_a_root_that_cannot_be_written_is_a_one_line_error(tmp_path, data_mirror, capsys):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    argv = ["data", "fetch", "video1", "--root", str(not_a_folder), "--mirror", data_mirror]
    code, _, err = run(capsys, [*argv, "--no-progress"])
    (line,) = err.strip().splitlines()
    assert code == 1 and f"cannot write the data sets under {not_a_folder}" in line


def test_shared_data_is_the_published_data(abr_data):
    """The data the other tests use verifies against the packaged manifest."""
    root = abr_data.parent
    present = [name for name in EXPECTED_FILES if (root / name).is_dir()]
    for name in present:
        assert check_files(name, root / name) == [], name

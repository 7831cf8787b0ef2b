"""NetLLM's ``mahimahi_ptrs.pkl`` is read by walking its opcodes, never by unpickling: the real
file gives the 100 start pointers, and a pickle that would run code is refused unrun."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest
from conftest import require_datasets
from netgym.envs.abr import load_start_pointers, read_pointer_pickle


def test_netllm_pointer_pickle_gives_the_100_start_pointers_of_start_pointers_json():
    folder = require_datasets("abr/fcc-test") / "abr" / "fcc-test"
    pointers = read_pointer_pickle(folder / "mahimahi_ptrs.pkl")
    assert len(pointers) == 100 and all(isinstance(p, int) and p >= 1 for p in pointers)
    listed = folder / "start_pointers.json"
    if listed.is_file():  # netgym's JSON copy, where it lies beside the pickle
        assert list(pointers) == json.loads(listed.read_text())
    # the first ten of the published file (the manifest pins its sha256, bfb28c95...)
    assert pointers[:10] == (28, 99, 32, 27, 26, 30, 35, 93, 187, 294)


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("values", [[], [0], [1, 2, 300], [70_000, 2**40]])
def test_every_pickle_protocol_of_an_int_list_is_read(tmp_path, protocol, values):
    path = tmp_path / "ptrs.pkl"
    path.write_bytes(pickle.dumps(values, protocol=protocol))
    assert read_pointer_pickle(path) == tuple(values)


@pytest.mark.parametrize(
    "value",
    [[True], [-1], [1.5], ["7"], [[1]], (1, 2), {"a": 1}, 5, None],
    ids=["bool", "negative", "float", "str", "nested", "tuple", "dict", "int", "none"],
)
def test_anything_but_a_flat_list_of_non_negative_ints_is_refused(tmp_path, value):
    path = tmp_path / "ptrs.pkl"
    for protocol in (0, 2, 4):
        path.write_bytes(pickle.dumps(value, protocol=protocol))
        with pytest.raises(ValueError, match=f"{path}: .*pickled list of non-negative integers"):
            read_pointer_pickle(path)


def test_a_truncated_pickle_is_refused(tmp_path):
    path = tmp_path / "ptrs.pkl"
    path.write_bytes(pickle.dumps([1, 2, 3], protocol=4)[:-3])
    with pytest.raises(ValueError, match="malformed pickle"):
        read_pointer_pickle(path)


def test_a_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "mahimahi_ptrs.pkl"
    # protocol 0: GLOBAL os.system, then REDUCE with ('touch <marker>',): unpickling it would
    # create the marker file
    path.write_bytes(f"cos\nsystem\n(S'touch {marker}'\ntR.".encode())
    with pytest.raises(ValueError, match="opcode GLOBAL at byte 0 is not allowed"):
        read_pointer_pickle(path)
    assert not marker.exists()

    class Payload:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {marker}",))

    path.write_bytes(pickle.dumps([1, Payload(), 2], protocol=4))
    with pytest.raises(ValueError, match="is not allowed"):
        read_pointer_pickle(path)
    assert not marker.exists()


def test_start_pointers_come_from_the_pickle_and_must_agree_with_the_json(tmp_path):
    folder = require_datasets("abr/fcc-test") / "abr" / "fcc-test"
    copy = tmp_path / "fcc-test"
    copy.mkdir()
    shutil.copy2(folder / "mahimahi_ptrs.pkl", copy)
    pointers = load_start_pointers(copy)
    assert len(pointers) == 100
    (copy / "start_pointers.json").write_text(json.dumps(list(pointers)))
    assert load_start_pointers(copy) == pointers
    (copy / "start_pointers.json").write_text(json.dumps([5] + list(pointers[1:])))
    with pytest.raises(ValueError, match="hold different start pointers"):
        load_start_pointers(copy)
    (copy / "mahimahi_ptrs.pkl").unlink()
    assert load_start_pointers(copy)[0] == 5  # a folder with the JSON list only
    (copy / "start_pointers.json").unlink()
    with pytest.raises(FileNotFoundError, match="mahimahi_ptrs.pkl"):
        load_start_pointers(copy)

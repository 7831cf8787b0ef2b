"""The shared parameter checks of envs/core/validation.py: NaN and infinity, values that are
not single numbers and integers too large for a float get errors that name the field, in every
env of every family."""

from __future__ import annotations

import dataclasses
import importlib
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from netgym.envs import env_specs
from netgym.envs.core.validation import check_int, check_numbers, check_range, shown


def params_class(spec):
    module, _, name = spec.entry_point.partition(":")
    return getattr(importlib.import_module(module), name).params_class


def integer_fields(cls) -> list[str]:
    """The fields whose default is an int (not a bool): the integer parameters (a few are
    choices, such as ``UavParams.directions``, and say so instead)."""
    names = []
    for field in dataclasses.fields(cls):
        default = field.default
        if isinstance(default, int) and not isinstance(default, bool):
            names.append(field.name)
    return names


INTEGER_FIELDS = [
    pytest.param(spec, name, id=f"{spec.id.split('/')[1]}.{name}")
    for spec in env_specs().values()
    for name in integer_fields(params_class(spec))
]


def test_every_env_has_integer_parameters_to_check():
    assert {param.values[0].id for param in INTEGER_FIELDS} == set(env_specs())


@pytest.mark.parametrize(("spec", "field"), INTEGER_FIELDS)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
def test_nan_or_infinity_in_an_integer_parameter_names_the_field(spec, field, value):
    with pytest.raises(ValueError, match=rf"\.{field} must be (finite|one of \[.*\])"):
        params_class(spec)(**{field: value})


@pytest.mark.parametrize(("spec", "field"), INTEGER_FIELDS)
@pytest.mark.parametrize(
    ("value", "shown_as"),
    [
        (np.array([1, 2]), r"an array of shape \(2,\)"),
        ([1, 2], r"a list \[1, 2\]"),
        ("3", "'3'"),
        (True, "True"),
    ],
    ids=["array", "list", "string", "bool"],
)
def test_a_value_that_is_not_one_number_names_the_field(spec, field, value, shown_as):
    message = rf"\.{field} must be (a number|one of \[.*\]), got {shown_as}"
    with pytest.raises(ValueError, match=message):
        params_class(spec)(**{field: value})


def test_nan_is_reported_as_not_finite_before_any_integer_conversion():
    with pytest.raises(ValueError, match=r"Owner.count must be finite, got nan"):
        check_range("Owner", "count", float("nan"), integer=True, low=1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**400, r"must be <= 100, got an integer of 401 digits"),
        (-(10**400), r"must be >= 1, got an integer of 401 digits"),
        (Fraction(10**400, 3), r"must be a finite number"),
        (Decimal("Infinity"), r"must be finite"),
        (complex(1, 2), r"must be a number, got \(1\+2j\)"),
        (np.array([[1.0]]), r"must be a number, got an array of shape \(1, 1\)"),
    ],
)
def test_values_a_float_cannot_hold_or_that_are_not_numbers_get_clear_errors(value, message):
    with pytest.raises(ValueError, match=rf"Owner.count {message}"):
        check_range("Owner", "count", value, low=1, high=100)


def test_huge_integers_are_compared_exactly_not_through_a_float():
    check_range("Owner", "seed", 10**400, low=0)  # a valid seed for numpy
    with pytest.raises(ValueError, match="must be <= 9007199254740992"):
        check_range("Owner", "count", 2**53 + 1, high=2**53)


def test_numpy_scalars_and_0d_arrays_are_numbers():
    @dataclasses.dataclass(frozen=True)
    class Holder:
        count: object

    for value in (np.int64(7), np.array(7), np.float64(7.0), 7.0):
        holder = Holder(value)
        check_int(holder, "Holder", "count", low=1)
        assert holder.count == 7 and type(holder.count) is int


def test_a_list_of_numbers_names_the_bad_entry_by_index():
    assert check_numbers("Owner", "rates", [1, 2.5, np.float32(3)], low=0) == (1.0, 2.5, 3.0)
    with pytest.raises(ValueError, match=r"Owner.rates\[1\] must be a number, got 'fast'"):
        check_numbers("Owner", "rates", [1, "fast"])
    with pytest.raises(ValueError, match=r"Owner.rates\[0\] must be finite"):
        check_numbers("Owner", "rates", (float("nan"),))
    with pytest.raises(ValueError, match=r"Owner.rates must be a list or tuple, got an array"):
        check_numbers("Owner", "rates", np.array([1.0, 2.0]))


def test_long_values_are_shortened_in_messages():
    assert shown(3) == "3"
    assert len(shown(list(range(1000)))) < 100
    assert "401 digits" in shown(10**400)


def test_0d_arrays_passed_to_an_env_are_stored_as_the_scalars_they_hold():
    from netgym.envs.abr import AbrStreamingEnv

    env = AbrStreamingEnv(rtt_s=np.array(0.08), synthetic_traces={"duration_s": np.array(320.0)})
    assert type(env.params.rtt_s) is float and env.params.rtt_s == 0.08
    assert type(env.params.synthetic_traces.duration_s) is float
    hash(env.params)  # params are hashed to share models


# ------------------------------------------------------------------------------- paths
def test_paths_are_named_for_what_they_are(tmp_path):
    import os

    from netgym.envs.core.paths import as_path, check_file, check_folder, kind_of

    (tmp_path / "file").write_text("x")
    assert kind_of(tmp_path) == "folder" and kind_of(tmp_path / "file") == "file"
    assert kind_of(tmp_path / "nothing") == "missing"
    assert check_file("trace file", tmp_path / "file") == tmp_path / "file"
    assert check_folder("video folder", str(tmp_path)) == tmp_path
    with pytest.raises(FileNotFoundError, match="trace file .*nothing does not exist"):
        check_file("trace file", tmp_path / "nothing")
    with pytest.raises(ValueError, match="trace file .* is a folder, not a regular file"):
        check_file("trace file", tmp_path)
    with pytest.raises(ValueError, match="video folder .*file is a file, not a folder"):
        check_folder("video folder", tmp_path / "file")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        assert kind_of(tmp_path / "fifo") == "FIFO"
    if os.path.exists("/dev/null"):
        assert kind_of(__import__("pathlib").Path("/dev/null")) == "device"
    for empty in ("", "   "):
        with pytest.raises(ValueError, match="is an empty path .* current folder"):
            as_path("Owner.traces", empty)
    with pytest.raises(ValueError, match=r"Owner.traces must be a path .*got 42"):
        as_path("Owner.traces", 42)

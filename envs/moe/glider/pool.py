"""The synthetic expert pool of ``netgym/MoeGliderRouting-v0``: tasks, experts, embeddings,
gains (reference/seeds-more.md sections 3 and 6b).

Structure [verified against Glider's ``src/dataloaders/constants.py``, reference 3]: the T0
pool has one LoRA expert per held-in task, 35 tasks in 8 categories; the 11 T0 held-out tasks
fall in 4 other categories. The FLAN pool has 166 experts in four collections (P3 36, FLAN v2
36, NIv2 75, extra 19); the categories inside a collection are not in the note, so each
collection is cut into categories of at most ``FLAN_CATEGORY_SIZE`` tasks (our assumption).

Vectors (all unit vectors in R^d, drawn from ``pool_seed``):

* skill ``v_t``: category centroid + ``within_category_std`` noise. A held-out category's
  centroid mixes two held-in categories' with a fresh direction, so held-out tasks transfer
  partly from related experts and own none.
* instruction ``u_t = v_t + description_weight * f_t`` with ``f_t`` a description
  direction: its category's (the format: "classify the sentiment") plus a task-specific part of
  size ``description_specificity`` (the dataset), so the global signal finds a held-in task's
  own expert among its category-mates most of the time, and a held-out task's description
  matches no expert's. An expert's instruction ``e_k`` and its task's query instruction
  ``ê_t`` are two independent noisy draws of ``u_t`` (``instruction_noise``; Glider's v3 and
  v4 prompts). The global signal is ``b_t = cos(e_k, ê_t)``, once per task (Glider's evaluator
  sets it per task).
* gate ``g_k = v_k + gate_noise`` noise: PHATGOOSE's post-hoc gate; a query's hidden state in
  block l is ``h = v_t + token_noise`` noise and its local logit ``sharpness * cos(h, g_k)``.

Gains (accuracy units): ``G[t, k] = own_gain [k is t's own expert] + transfer_gain *
max(0, cos(v_t, v_k))^transfer_power`` for every other expert. The own expert of a held-in task
is worth more than any category-mate, which the global signal finds by its description and the
local router confuses; for a held-out task the description matches no expert, so the global
signal adds noise and the local router (skill similarity) generalises (sections 6b, "Local
signal").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .params import GliderParams

T0_HELD_IN: tuple[tuple[str, int], ...] = (
    ("multiple_choice_qa", 11),
    ("extractive_qa", 4),
    ("closed_book_qa", 2),
    ("sentiment", 5),
    ("topic_classification", 3),
    ("structure_to_text", 2),
    ("summarization", 5),
    ("paraphrase", 3),
)
"""T0 held-in categories and their task counts (35 tasks, one expert each)"""
T0_HELD_OUT: tuple[tuple[str, int], ...] = (
    ("sentence_completion", 3),
    ("nli", 5),
    ("coreference", 2),
    ("word_sense", 1),
)
"""T0 held-out categories and their task counts (11 tasks, no expert)"""
FLAN_COLLECTIONS: tuple[tuple[str, int], ...] = (
    ("p3", 36),
    ("flan_v2", 36),
    ("niv2", 75),
    ("extra", 19),
)
"""the FLAN ("full") pool's collections and their expert counts (166)"""
FLAN_CATEGORY_SIZE = 6
"""most tasks per category inside a FLAN collection (our assumption; the note has none)"""


def held_in_categories(pool: str) -> list[tuple[str, int]]:
    """The held-in categories of ``pool`` as (name, task count)."""
    if pool == "t0":
        return list(T0_HELD_IN)
    categories = []
    for name, count in FLAN_COLLECTIONS:
        parts = -(-count // FLAN_CATEGORY_SIZE)
        for index, part in enumerate(np.array_split(np.arange(count), parts)):
            categories.append((f"{name}_{index}", len(part)))
    return categories


@dataclass(frozen=True)
class Pool:
    """Tasks ``0 .. n_held_in - 1`` are held-in (task t's own expert is expert t), the next
    ``n_held_out`` are held-out. Arrays are read-only."""

    n_experts: int
    n_held_in: int
    n_held_out: int
    category: np.ndarray
    """(T,) category index of every task"""
    category_names: tuple[str, ...]
    skill: np.ndarray
    """(T, d) unit skill vectors v_t"""
    gates: np.ndarray
    """(K, d) unit PHATGOOSE gate vectors"""
    global_similarity: np.ndarray
    """(T, K) cos(expert instruction, the task's query instruction): the global signal"""
    gain: np.ndarray
    """(T, K) accuracy gained from expert k at full weight, G[t, k]"""
    base: np.ndarray
    """(T,) accuracy without experts"""
    composition: np.ndarray
    """(T,) bonus of two equally weighted experts (``composition_gain`` on held-out tasks)"""
    skill32: np.ndarray
    """``skill`` as float32 (the hidden states are float32)"""
    gates32: np.ndarray
    """``gates`` as float32"""

    @property
    def n_tasks(self) -> int:
        """Held-in plus held-out tasks."""
        return self.n_held_in + self.n_held_out


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def _noise(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> np.ndarray:
    """Isotropic noise of expected norm ``std`` (per-coordinate std / sqrt(d))."""
    return rng.normal(0.0, std / np.sqrt(shape[-1]), shape)


@functools.lru_cache(maxsize=16)
def build_pool(params: GliderParams) -> Pool:
    """The pool of ``params`` (cached: the same params give the same arrays)."""
    rng = np.random.default_rng(params.pool_seed)
    d = params.embed_dim
    held_in = held_in_categories(params.pool)
    names = [name for name, _ in held_in] + [name for name, _ in T0_HELD_OUT]
    centroids = _unit(rng.normal(size=(len(held_in), d)))
    out_centroids = []
    for _ in T0_HELD_OUT:  # two related held-in categories and a new direction
        a, b = rng.choice(len(held_in), size=2, replace=False)
        out_centroids.append(centroids[a] + 0.7 * centroids[b] + _noise(rng, (d,), 1.0))
    centroids = np.vstack([centroids, _unit(np.array(out_centroids))])
    sizes = [n for _, n in held_in] + [n for _, n in T0_HELD_OUT]
    category = np.repeat(np.arange(len(sizes)), sizes)
    n_in = sum(n for _, n in held_in)
    n_tasks = len(category)
    skill = _unit(centroids[category] + _noise(rng, (n_tasks, d), params.within_category_std))
    category_description = _unit(rng.normal(size=(len(sizes), d)))
    description = _unit(
        category_description[category] + _noise(rng, (n_tasks, d), params.description_specificity)
    )
    instruction = skill + params.description_weight * description
    expert_instr = _unit(instruction[:n_in] + _noise(rng, (n_in, d), params.instruction_noise))
    query_instr = _unit(instruction + _noise(rng, (n_tasks, d), params.instruction_noise))
    gates = _unit(skill[:n_in] + _noise(rng, (n_in, d), params.gate_noise))
    similarity = np.clip(skill @ skill[:n_in].T, 0.0, 1.0)
    gain = params.transfer_gain * similarity**params.transfer_power
    own = np.arange(n_in)
    gain[own, own] = params.own_gain
    low, high = params.base_accuracy
    base = rng.uniform(low, high, n_tasks)
    composition = np.where(np.arange(n_tasks) >= n_in, params.composition_gain, 0.0)
    arrays = {
        "skill": skill,
        "gates": gates,
        "global_similarity": query_instr @ expert_instr.T,
        "gain": gain,
        "base": base,
        "composition": composition,
        "category": category,
        "skill32": skill.astype(np.float32),
        "gates32": gates.astype(np.float32),
    }
    for array in arrays.values():
        array.setflags(write=False)
    return Pool(
        n_experts=n_in,
        n_held_in=n_in,
        n_held_out=n_tasks - n_in,
        category_names=tuple(names),
        **arrays,
    )


__all__ = ["FLAN_COLLECTIONS", "T0_HELD_IN", "T0_HELD_OUT", "Pool", "build_pool"]

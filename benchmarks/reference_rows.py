"""The rows of the reference-agent table (``benchmarks/reference_agents.py``): what each trains.

A row is one agent on one env: the leaderboard protocols it is scored under, the family's
heuristics it must beat (the best of them on the validation episodes decides the time to
heuristic), the oracle or bound it is measured against, the training env (the protocol's
setting, on training seeds or training traces; never the protocol's evaluation seeds or test
traces) and the budget (env steps and CPU seconds of training per seed). Hyperparameters are
those of ``agents/config/<agent>.yaml`` for the env id (a tuned block where the file has one),
resolved by ``train.py``'s own code; ``hyperparams`` here pins a few keys, stated in the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    """One row of the reference table."""

    name: str
    """the row's id, e.g. 'abr-ppo' (the JSON and plots are named after it)"""
    env_id: str
    agent: str
    protocols: tuple[str, ...]
    """leaderboard protocols the final models are scored under (the first is the main one)"""
    heuristics: tuple[str, ...]
    """the family's heuristics (baseline names) the agent is compared with"""
    bound: str | None
    """the oracle or bound baseline (None: the protocol has none)"""
    timesteps: int
    """env steps of training per seed at most (the schedules' total)"""
    cpu_seconds: float | None
    """CPU seconds of training per seed at most (None: only the steps bound)"""
    eval_every: int
    """env steps between two validations (the learning curve's points)"""
    validation_episodes: int
    goal: str
    """the issue's goal for this env, in words"""
    references: tuple[str, ...] = ()
    """other baselines drawn and scored beside them (e.g. a look-ahead policy that is not a
    heuristic the agent could match, such as windowed Belady)"""
    select: str = "last"
    """the final model: 'last' (at the end of the budget) or 'best' (the best validation
    score's; validation episodes only, so still no test data)"""
    hyperparams: dict[str, Any] = field(default_factory=dict)
    """keys pinned over the config file (stated in the table)"""
    needs_data: tuple[str, ...] = ()
    """data folders under the data root the row trains on"""
    validation_reseed: bool = False
    """reset validation episode ``i`` with seed 500,000 + ``i`` (``evaluate``'s ``reseed``), so
    every checkpoint and heuristic meets the same episodes whatever its actions; False: one
    seeded reset, then unseeded ones, as the rows run before 2026-12-07 were validated (the
    same episodes for every policy in each env of the table but QuantumNetworkScheduling,
    checked; ABR's rows play traces in order and must keep False)"""
    entry_kwargs: dict[str, Any] = field(default_factory=dict)
    """how the agent observes or acts, over the protocol's setting (e.g. the UAV controller's
    vector ``obs_mode``): only keys the protocols keep for an entry (``Protocol.entry_kwargs``),
    so the agent is scored on the protocol's scenario through the observation it trained on"""

    def train_env_kwargs(self, data_dir: Path | None) -> dict[str, Any]:
        """The training env's keyword arguments (flat, so they override a config block's)."""
        if self.env_id == "netgym/AbrStreaming-v0":
            if data_dir is None:
                raise ValueError(f"row {self.name} trains on abr/fcc-train and needs a data dir")
            return {
                "traces": str(data_dir / "abr" / "fcc-train"),
                "video": str(data_dir / "abr" / "video1"),
                "noise": [0.9, 1.1],
                "trace_order": "random",
                "start": "random",
                "default_quality": 0,
            }
        from netgym.leaderboard.protocols import get_protocol, load_family_protocols

        load_family_protocols()
        kwargs = get_protocol(self.protocols[0]).env_kwargs(None)
        params = kwargs.get("params")
        flat = dict(params.to_dict()) if hasattr(params, "to_dict") else dict(kwargs)
        flat.update(TRAINING_OVERRIDES.get(self.env_id, {}))
        flat.update(self.entry_kwargs)
        return _plain(flat)


TRAINING_OVERRIDES: dict[str, dict[str, Any]] = {
    "netgym/MoeRouting-v0": {"lp_bound": False},  # the per-step LP costs more than the step
    # each step pattern's cost as its congestion grows instead of all at its last piece: the
    # same observations and the same episode return, paid earlier (tests check both)
    "netgym/CollectivePath-v0": {"reward": "dense"},
}
"""training settings that change neither the observation nor an episode's return (what info
reports, when the reward is paid), so a model trained with them is scored on the protocol's
env as it is"""


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


BLOCK_DEFAULTS: dict[str, Any] = {
    "n_epochs": 10,
    "gae_lambda": 0.95,
    "clip_range": 0.2,
    "vf_coef": 0.5,
    "max_grad_norm": 0.5,
    "learning_rate": 3.0e-4,
}
"""the values of ``ppo.yaml``'s and ``maskable-ppo.yaml``'s ``default`` blocks that the env
blocks before tuning kept (the records below are these, under what each block set)"""

ABR_UNTUNED: dict[str, Any] = {
    **BLOCK_DEFAULTS,
    "n_steps": 256,
    "batch_size": 256,
    "gamma": 0.99,
    "ent_coef": 0.01,
    "policy_kwargs": {"net_arch": [128, 128], "activation_fn": "tanh"},
}
"""``ppo.yaml``'s ABR block before the tuned one replaced it (tanh is SB3's default
activation)"""

COLLECTIVE_PATH_UNTUNED: dict[str, Any] = {
    **BLOCK_DEFAULTS,
    "n_steps": 256,
    "batch_size": 256,
    "gamma": 1.0,
    "ent_coef": 0.01,
    "policy_kwargs": {"net_arch": [128, 128]},
}
"""``maskable-ppo.yaml``'s CollectivePath block before the tuned one replaced it"""

MOE_CACHE_STUDY_BEST: dict[str, Any] = {
    "n_steps": 512,
    "batch_size": 32,
    "n_epochs": 10,
    "gamma": 0.999,
    "gae_lambda": 0.8,
    "clip_range": 0.3,
    "ent_coef": 6.679e-5,
    "vf_coef": 0.7758,
    "max_grad_norm": 5.0,
    "learning_rate": 2.728e-5,
    "policy_kwargs": {"net_arch": [256, 256], "activation_fn": "relu"},
}
"""the best trial of the MoeExpertCache study (rounded to 4 digits), not adopted by
``maskable-ppo.yaml``: on the rows' 5 seeds it scores below the block there"""

UAV_STUDY_BEST: dict[str, Any] = {
    "n_steps": 256,
    "batch_size": 64,
    "n_epochs": 20,
    "gamma": 0.98,
    "gae_lambda": 0.8,
    "clip_range": 0.4,
    "ent_coef": 9.417e-6,
    "vf_coef": 0.8865,
    "max_grad_norm": 2.0,
    "learning_rate": 1.659e-4,
    "policy_kwargs": {"net_arch": [64], "activation_fn": "tanh"},
}
"""the best trial of the UavOffload study (rounded to 4 digits), not adopted by ``ppo.yaml``: on
the rows' 5 seeds it scores below the block there, at more than twice its CPU time"""

VIDEO_CELL_UNTUNED: dict[str, Any] = {
    **BLOCK_DEFAULTS,
    "n_steps": 256,
    "batch_size": 256,
    "gamma": 0.995,
    "ent_coef": 0.0,
    "policy_kwargs": {"net_arch": [128, 128]},
}
"""``ppo.yaml``'s WirelessVideoCell block before the tuned one replaced it"""

MOE_ROUTING_UNTUNED: dict[str, Any] = {
    **BLOCK_DEFAULTS,
    "n_steps": 128,
    "batch_size": 256,
    "gamma": 0.9,
    "ent_coef": 0.0,
    "policy_kwargs": {"net_arch": [128, 128]},
}
"""``ppo.yaml``'s MoeRouting block before the tuned one replaced it"""

SEQ_GRAD_UNTUNED: dict[str, Any] = {
    **BLOCK_DEFAULTS,
    "n_steps": 64,
    "batch_size": 128,
    "gamma": 1.0,
    "ent_coef": 0.01,
    "policy_kwargs": {"net_arch": [64, 64]},
}
"""``maskable-ppo.yaml``'s SeqGradCoding block before the tuned one replaced it"""

QUANTUM_SCHEDULING_UNTUNED: dict[str, Any] = {
    **BLOCK_DEFAULTS,
    "n_steps": 512,
    "batch_size": 256,
    "gamma": 0.99,
    "ent_coef": 0.01,
    "policy_kwargs": {"net_arch": [128, 128]},
}
"""``maskable-ppo.yaml``'s QuantumNetworkScheduling block before the tuned one replaced it"""


ABR_PPO = Row(
    name="abr-ppo",
    env_id="netgym/AbrStreaming-v0",
    agent="ppo",
    protocols=("fcc100", "hsdpa142"),
    heuristics=("mpc",),
    references=("mpc-jump1", "bba"),
    bound="oracle",
    timesteps=2_000_000,
    cpu_seconds=120.0,
    eval_every=40_960,
    validation_episodes=47,
    goal="beat full robustMPC on FCC-test-100 (0.954) and HSDPA-142 (0.842) within 2 "
    "CPU-minutes of training, 5 seeds, CI above the baseline",
    select="best",
    needs_data=("abr/fcc-train", "abr/video1"),
)
"""the ABR row: PPO with the study's configuration, the best validation model"""

SEQ_GRAD_CODING = Row(
    name="seq-grad-coding-maskable-ppo",
    env_id="netgym/SeqGradCoding-v0",
    agent="maskable-ppo",
    protocols=("seq-grad-coding",),
    heuristics=("adaptive",),
    references=("no-coding",),
    bound="best-fixed",
    timesteps=100_000,
    cpu_seconds=45.0,
    eval_every=2_048,
    validation_episodes=10,
    goal="beat the online model-based scheme selection (adaptive)",
    hyperparams=SEQ_GRAD_UNTUNED,
)
"""the SeqGradCoding row: MaskablePPO with the block before tuning, the last model"""


QUANTUM_SCHEDULING = Row(
    name="quantum-scheduling-maskable-ppo",
    env_id="netgym/QuantumNetworkScheduling-v0",
    agent="maskable-ppo",
    protocols=("quantum-scheduling",),
    heuristics=("edf", "pts"),
    bound=None,
    timesteps=100_000,
    cpu_seconds=60.0,
    eval_every=8_192,
    validation_episodes=3,
    goal="beat EDF and PTS",
    validation_reseed=True,  # the env's next episode depends on the actions (see the field)
    hyperparams=QUANTUM_SCHEDULING_UNTUNED,
)
"""the quantum scheduling row: MaskablePPO with the block before tuning, the last model"""


MOE_CACHE = Row(
    name="moe-cache-maskable-ppo",
    env_id="netgym/MoeExpertCache-v0",
    agent="maskable-ppo",
    protocols=("moe-expert-cache",),
    heuristics=("lfu", "lru", "random"),
    references=("belady-window",),
    bound="belady",
    timesteps=100_000,
    cpu_seconds=60.0,
    eval_every=8_192,
    validation_episodes=5,
    goal="beat LRU, LFU and random, and close half the gap between LRU and windowed Belady",
)
"""the MoE expert cache row: MaskablePPO as shipped, the last model"""


COLLECTIVE_PATH = Row(
    name="collective-path-maskable-ppo",
    env_id="netgym/CollectivePath-v0",
    agent="maskable-ppo",
    protocols=("collective-path",),
    heuristics=("greedy-cap",),
    references=("ecmp",),
    bound="oracle",
    timesteps=100_000,
    cpu_seconds=45.0,
    eval_every=8_192,
    validation_episodes=5,
    goal="beat capacity-aware greedy (greedy-cap)",
    hyperparams=COLLECTIVE_PATH_UNTUNED,
)
"""the CollectivePath row: MaskablePPO with the block before tuning (trained with the dense
reward), the last model"""


UAV_PPO = Row(
    name="uav-ppo",
    env_id="netgym/UavOffload-v0",
    agent="ppo",
    protocols=("uav-paper",),
    heuristics=("kmeans", "pso-static", "pso-step"),
    references=("greedy-grid",),
    bound=None,
    timesteps=300_000,
    cpu_seconds=60.0,
    eval_every=8_192,
    validation_episodes=4,
    goal="with random user layouts, PPO over the central env within 5 % of k-means / PSO placement",
    entry_kwargs={"obs_mode": "vector"},
)
"""the UAV row: PPO over the central env on the vector observation, new user layouts every
episode (the protocol's), the last model"""


VIDEO_CELL_PPO = Row(
    name="wireless-video-cell-ppo",
    env_id="netgym/WirelessVideoCell-v0",
    agent="ppo",
    protocols=("videocell-default",),
    heuristics=("greedy", "pf-mpc", "pf", "maxci", "rr"),
    bound=None,
    timesteps=300_000,
    cpu_seconds=60.0,
    eval_every=16_384,
    validation_episodes=2,
    goal="beat the best heuristic (personalised greedy, PF with MPC, PF, max C/I, round robin)",
    hyperparams=VIDEO_CELL_UNTUNED,
)
"""the video cell row: PPO on the env's Box action (per-user PRB shares), with the block before
tuning"""


ROWS: dict[str, Row] = {
    row.name: row
    for row in (
        ABR_PPO,
        replace(
            ABR_PPO,
            name="abr-ppo-last",
            goal="as abr-ppo, the model at the end of the budget instead of the best validation",
            select="last",
        ),
        replace(
            ABR_PPO,
            name="abr-ppo-default",
            goal="as abr-ppo, with ppo.yaml's ABR block before tuning",
            select="last",
            hyperparams=ABR_UNTUNED,
        ),
        replace(
            ABR_PPO,
            name="abr-dqn",
            agent="dqn",
            goal="as abr-ppo, with DQN (dqn.yaml's ABR block, untuned; the best validation "
            "checkpoint)",
            eval_every=20_480,
        ),
        Row(
            name="moe-routing-ppo",
            env_id="netgym/MoeRouting-v0",
            agent="ppo",
            protocols=("moe-routing-bias",),
            heuristics=("aux-free",),
            references=("topk",),
            bound=None,
            timesteps=100_000,
            cpu_seconds=60.0,
            eval_every=8_192,
            validation_episodes=3,
            goal="beat aux-free",
            hyperparams=MOE_ROUTING_UNTUNED,
        ),
        QUANTUM_SCHEDULING,
        replace(
            QUANTUM_SCHEDULING,
            name="quantum-scheduling-dqn",
            agent="dqn",
            hyperparams={},
            goal="as quantum-scheduling-maskable-ppo, with DQN (dqn.yaml's defaults; a masked-out "
            "action idles the slot)",
        ),
        Row(
            name="repeater-chain-maskable-ppo",
            env_id="netgym/RepeaterChain-v0",
            agent="maskable-ppo",
            protocols=("repeater-chain",),
            heuristics=("swap-asap",),
            references=("nested",),
            bound="optimal",
            timesteps=100_000,
            cpu_seconds=60.0,
            eval_every=8_192,
            validation_episodes=100,
            goal="reach the exact optimum within 1 %",
        ),
        Row(
            name="repeater-chain-qlearning",
            env_id="netgym/RepeaterChain-v0",
            agent="qlearning",
            protocols=("repeater-chain",),
            heuristics=("swap-asap",),
            references=("nested",),
            bound="optimal",
            timesteps=600_000,
            cpu_seconds=60.0,
            eval_every=50_000,
            validation_episodes=100,
            goal="reach the exact optimum within 1 % (tabular Q-learning on the finite MDP's "
            "state index)",
            entry_kwargs={"obs_mode": "tabular"},
        ),
        MOE_CACHE,
        replace(
            MOE_CACHE,
            name="moe-cache-dqn",
            agent="dqn",
            goal="as moe-cache-maskable-ppo, with DQN (dqn.yaml's defaults; plain DQN may pick "
            "the running call's expert, and the env then evicts the first allowed slot)",
        ),
        UAV_PPO,
        replace(
            UAV_PPO,
            name="uav-ppo-best",
            goal="as uav-ppo, the best validation score's model",
            select="best",
        ),
        COLLECTIVE_PATH,
        replace(
            COLLECTIVE_PATH,
            name="collective-path-dqn",
            agent="dqn",
            hyperparams={},
            goal="as collective-path-maskable-ppo, with DQN (dqn.yaml's defaults; with no failed "
            "link every path is valid, so no mask is lost)",
        ),
        Row(
            name="moe-training-overlap-ppo",
            env_id="netgym/MoeTrainingOverlap-v0",
            agent="ppo",
            protocols=("moe-training-overlap",),
            heuristics=("fsmoe",),
            references=("no-pipelining",),
            bound="oracle",
            timesteps=100_000,
            cpu_seconds=45.0,
            eval_every=6_144,
            validation_episodes=5,
            goal="beat FSMoE's optimiser (fsmoe)",
        ),
        Row(
            name="async-gossip-ppo",
            env_id="netgym/AsyncGossip-v0",
            agent="ppo",
            protocols=("async-gossip",),
            heuristics=("dadao",),
            references=("random",),
            bound="best-constant",
            timesteps=100_000,
            cpu_seconds=45.0,
            eval_every=1_600,
            validation_episodes=2,
            goal="beat DADAO's rate (dadao)",
        ),
        SEQ_GRAD_CODING,
        replace(
            SEQ_GRAD_CODING,
            name="seq-grad-coding-maskable-ppo-best",
            goal="as seq-grad-coding-maskable-ppo, the best validation score's model",
            select="best",
        ),
        replace(
            SEQ_GRAD_CODING,
            name="seq-grad-coding-qlearning",
            hyperparams={},
            agent="qlearning",
            timesteps=400_000,
            eval_every=10_000,
            goal="as seq-grad-coding-maskable-ppo, with tabular Q-learning over two binned "
            "statistics (qlearning.yaml's block: 40 states x 158 arms)",
        ),
        replace(
            SEQ_GRAD_CODING,
            name="seq-grad-coding-dqn",
            hyperparams={},
            agent="dqn",
            goal="as seq-grad-coding-maskable-ppo, with DQN (dqn.yaml's defaults; every arm "
            "is valid, so no mask is lost)",
        ),
        Row(
            name="spark-scheduling-maskable-ppo",
            env_id="netgym/SparkScheduling-v0",
            agent="maskable-ppo",
            protocols=("cjs-default",),
            heuristics=("fifo", "fair", "srpt", "critical-path"),
            bound=None,
            timesteps=100_000,
            cpu_seconds=60.0,
            eval_every=8_192,
            validation_episodes=2,
            goal="beat the best of FIFO, Fair, SRPT and critical-path (the issue's implicit goal)",
            entry_kwargs={"action_format": "flat", "mask_none": True},
        ),
        VIDEO_CELL_PPO,
        replace(
            VIDEO_CELL_PPO,
            name="wireless-video-cell-sac",
            agent="sac",
            hyperparams={},
            eval_every=2_048,
            goal="as wireless-video-cell-ppo, with SAC (sac.yaml's defaults: a tanh-squashed "
            "action, the remedy the PPO row's finding proposes)",
        ),
        Row(
            name="moe-batching-ppo",
            env_id="netgym/MoeBatching-v0",
            agent="ppo",
            protocols=("moe-batching",),
            heuristics=("prefill-first", "readme", "decode-first", "fcfs"),
            references=("random",),
            bound=None,
            timesteps=200_000,
            cpu_seconds=60.0,
            eval_every=8_192,
            validation_episodes=3,
            goal="beat the best of prefill-first, Read-ME (Algorithm 1), decode-first and FCFS",
        ),
        Row(
            name="moe-glider-routing-ppo",
            env_id="netgym/MoeGliderRouting-v0",
            agent="ppo",
            protocols=("moe-glider",),
            heuristics=("glider", "phatgoose"),
            references=("glider-oracle-scale", "global-only"),
            bound=None,
            timesteps=200_000,
            cpu_seconds=60.0,
            eval_every=8_192,
            validation_episodes=5,
            goal="beat Glider (one fixed scale) and PHATGOOSE; reference: Glider at the scale "
            "that knows each query's split",
        ),
    )
}
"""every row, most important first"""

HOUR_CPU_SECONDS = 720.0
"""a row's CPU budget per seed at the issue's 1 CPU-hour per env (5 seeds x 12 CPU-minutes)"""


def _hour(name: str, eval_every: int, validation_episodes: int, reseed: bool = True) -> Row:
    """Row ``name`` at 1 CPU-hour per env, the best validation model (validation episodes
    only, each with its own seed unless ``reseed`` is False), fewer and larger validations than
    its short row's (they are not counted)."""
    row = ROWS[name]
    return replace(
        row,
        name=f"{name}-1h",
        validation_reseed=reseed,
        timesteps=20_000_000,
        cpu_seconds=HOUR_CPU_SECONDS,
        eval_every=eval_every,
        validation_episodes=validation_episodes,
        select="best",
        goal=f"{row.goal}; at 1 CPU-hour per env (12 CPU-minutes per seed), the best "
        "validation model",
    )


def _tuned(name: str, timesteps: int, cpu_seconds: float, validation_episodes: int) -> Row:
    """Row ``name`` with its agent's tuned block for the env (no keys pinned), at its study's
    budget per trial (``timesteps``; ``cpu_seconds`` only guards it) and with the study's four
    validations, the last model (the study's trial value is its last validation)."""
    row = ROWS[name]
    return replace(
        row,
        name=f"{name}-tuned",
        hyperparams={},
        validation_reseed=True,
        timesteps=timesteps,
        cpu_seconds=cpu_seconds,
        eval_every=timesteps // 4,
        validation_episodes=validation_episodes,
        select="last",
        goal=f"{row.goal}; with {row.agent}.yaml's tuned block, at its study's budget per trial",
    )


ROWS.update(
    (row.name, row)
    for row in (
        replace(
            ROWS["moe-routing-ppo"],
            name="moe-routing-sac",
            agent="sac",
            hyperparams={},
            eval_every=1_024,  # SAC trains about 70 steps per CPU s here
            validation_reseed=True,
            goal="as moe-routing-ppo, with SAC (sac.yaml's defaults)",
        ),
        replace(
            ROWS["moe-batching-ppo"],
            name="moe-batching-sac",
            agent="sac",
            eval_every=512,  # SAC trains about 30 steps per CPU s here (777 observations)
            validation_reseed=True,
            goal="as moe-batching-ppo, with SAC (sac.yaml's defaults)",
        ),
        replace(
            ROWS["async-gossip-ppo"],
            name="async-gossip-dqn",
            agent="dqn",
            validation_reseed=True,
            goal="as async-gossip-ppo, with DQN (dqn.yaml's defaults)",
        ),
        _hour("quantum-scheduling-maskable-ppo", 131_072, 20),
        # run before validation episodes had a seed each (their envs' are paired either way)
        _hour("uav-ppo", 131_072, 4, reseed=False),
        _hour("moe-routing-ppo", 65_536, 3, reseed=False),
        _hour("moe-cache-maskable-ppo", 262_144, 3),  # an episode: about 3 s of validation
        _tuned("quantum-scheduling-maskable-ppo", 200_000, 360.0, 10),
        _tuned("collective-path-maskable-ppo", 200_000, 240.0, 10),
        replace(
            _tuned("uav-ppo", 200_000, 360.0, 10),
            hyperparams=UAV_STUDY_BEST,
            goal=f"{UAV_PPO.goal}; with the best block of its study (not adopted), at the "
            "study's budget per trial",
        ),
        _tuned("wireless-video-cell-ppo", 200_000, 360.0, 10),
        _tuned("moe-routing-ppo", 200_000, 360.0, 10),
        replace(
            _tuned("moe-routing-ppo", 200_000, 360.0, 10),
            name="moe-routing-ppo-untuned-200k",
            hyperparams=MOE_ROUTING_UNTUNED,
            goal=f"{ROWS['moe-routing-ppo'].goal}; the block before tuning, trained and validated "
            "as moe-routing-ppo-tuned (the control of its study)",
        ),
        _tuned("seq-grad-coding-maskable-ppo", 200_000, 360.0, 10),
        replace(
            _tuned("moe-cache-maskable-ppo", 200_000, 360.0, 6),
            hyperparams=MOE_CACHE_STUDY_BEST,
            goal=f"{MOE_CACHE.goal}; with the best block of its study (not adopted), at the "
            "study's budget per trial",
        ),
    )
)


__all__ = ["ROWS", "TRAINING_OVERRIDES", "Row"]

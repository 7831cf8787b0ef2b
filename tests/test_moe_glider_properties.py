"""Property tests of ``netgym/MoeGliderRouting-v0``: over accepted parameters and any action,
success probabilities stay in [0, 1], observations in their space, and no routing beats the
exhaustive pair bound."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgym.envs.moe.glider.env import MoeGliderRoutingEnv
from netgym.envs.moe.glider.params import GliderParams

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(
    mode=st.sampled_from(["glider", "assign"]),
    batch=st.integers(1, 6),
    max_k=st.integers(1, 4),
    held_in=st.floats(0.0, 1.0),
    composition=st.floats(0.0, 1.0),
    own=st.floats(0.0, 1.0),
    transfer=st.floats(0.0, 1.0),
    sharpness=st.sampled_from([0.0, 1.0, 10.0, 1e4]),
    scales=st.lists(st.sampled_from([0.0, 3.0, 1e3, 1e6]), min_size=1, max_size=4),
    base=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)).map(sorted),
    seed=st.integers(0, 2**16),
)
def test_success_in_unit_interval_observations_in_space_and_bound_never_beaten(
    mode, batch, max_k, held_in, composition, own, transfer, sharpness, scales, base, seed
):
    params = GliderParams(
        action_mode=mode,
        batch_size=batch,
        max_steps=4,
        max_k=max_k,
        held_in_fraction=held_in,
        composition_gain=composition,
        own_gain=own,
        transfer_gain=transfer,
        local_sharpness=sharpness,
        scales=tuple(scales),
        base_accuracy=tuple(base),
        embed_dim=8,
    )
    env = MoeGliderRoutingEnv(params)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    for _ in range(4):
        obs, reward, _, _, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        accuracy = info["query_accuracy"]
        assert np.all((accuracy >= 0) & (accuracy <= 1))
        assert np.isfinite(reward)
        # per query: success - costs never above the bound (expected success)
        assert reward <= info["reward_bound"] + 1e-12

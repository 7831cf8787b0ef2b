"""Layer time of a routed MoE layer call (reference/moe.md 6(B)): ``LayerLatency``.

``t_layer = max over devices of sum_e t_exp(n_e) + t_a2a``, with ``t_exp`` from ``MoeCostModel``
and ``t_a2a = 2 x tokens x d_model x 2 B / link bandwidth`` for the tokens that cross devices.
"""

from __future__ import annotations

import numpy as np

from ..cost import MoeCostModel
from .params import RoutingParams

HIDDEN_SIZE = {"readme": 4096, "mixtral": 4096, "deepseekmoe16b": 2048, "qwen15moe": 2048}
"""d_model of the cost-model presets (bytes per token moved by the all-to-all = d_model x 2)"""


class LayerLatency:
    """Layer time of N layer calls from the expert loads (reference/moe.md 6(B)).

    ``t_layer = max_d [sum_{e on d} t_exp(n_e) + t_a2a(d)]`` where ``t_exp`` is
    ``MoeCostModel.expert_ms`` and ``t_a2a(d) = 2 (dispatch + combine) x (D - 1) / D x n_d x
    d_model x bytes / link`` for the ``n_d`` slots processed on device d (with tokens spread
    evenly over the devices, a share ``(D - 1) / D`` of them comes from other devices).
    ``reference_ms`` is the time of a perfectly balanced layer (every expert ``k T / E``
    tokens, no drops), the normaliser of the latency term.
    """

    def __init__(self, params: RoutingParams) -> None:
        self.params = params
        self.cost = MoeCostModel.preset(params.model, params.hardware)
        hidden = HIDDEN_SIZE.get(params.model)
        bytes_per_token = hidden * self.cost.model.bytes_per_param
        share = (params.n_devices - 1) / params.n_devices
        self.a2a_ms_per_slot = (
            2.0 * share * bytes_per_token / (params.link_gbytes_per_s * 1e9) * 1e3
        )
        # loads are integers in [0, T]: tabulate t_exp once (exactly MoeCostModel.expert_ms)
        self.expert_table_ms = self.cost.expert_ms(np.arange(params.n_tokens + 1))
        balanced = np.full((1, params.n_experts), params.top_k * params.n_tokens / params.n_experts)
        self.reference_ms = float(self._device_ms(self.cost.expert_ms(balanced), balanced).max())

    def device_ms(self, loads: np.ndarray) -> np.ndarray:
        """(N, D) busy time of each device for integer ``loads`` (N, E)."""
        return self._device_ms(self.expert_table_ms[loads], loads)

    def _device_ms(self, expert_ms: np.ndarray, loads: np.ndarray) -> np.ndarray:
        n, d = len(loads), self.params.n_devices
        expert = expert_ms.reshape(n, d, -1).sum(axis=-1)
        return expert + self.a2a_ms_per_slot * loads.reshape(n, d, -1).sum(axis=-1)

    def layer_ms(self, loads: np.ndarray) -> np.ndarray:
        """(N,) layer time: the slowest device."""
        return self.device_ms(loads).max(axis=-1)


__all__ = ["HIDDEN_SIZE", "LayerLatency"]

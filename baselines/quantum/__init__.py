"""Baselines and exact optima of the quantum-network envs."""

# repeater chain (netgym/RepeaterChain-v0)
from .chain import NestedDoubling as NestedDoubling
from .chain import OptimalChainPolicy as OptimalChainPolicy
from .chain import PurifySwap as PurifySwap
from .chain import RandomChainPolicy as RandomChainPolicy
from .chain import SwapAsap as SwapAsap

# multi-user QoS scheduling (netgym/QuantumNetworkScheduling-v0)
from .scheduling import EarliestDeadlineFirst as EarliestDeadlineFirst
from .scheduling import Idle as Idle
from .scheduling import PeriodicTaskSchedule as PeriodicTaskSchedule
from .scheduling import RandomMasked as RandomMasked

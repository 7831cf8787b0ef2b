"""``netgym/MoeTrainingOverlap-v0``: MoE layer pipelining and gradient all-reduce overlap in
training (FSMoE, Pan et al., ASPLOS 2025), coupled to CollectivePath's all-to-all congestion."""

"""Learning agents (tabular SARSA/Q-learning, PSO, SB3 wrappers, NetLLM-style); see issue 3."""

"""Baselines and exact optima of the quantum-network envs."""

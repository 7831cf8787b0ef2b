"""Baselines and oracles of the MoE serving and routing envs."""

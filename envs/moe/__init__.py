"""Mixture-of-Experts serving and routing environments."""

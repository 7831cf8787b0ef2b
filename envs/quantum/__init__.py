"""Quantum-network entanglement environments (repeater chains, multi-user QoS scheduling)."""

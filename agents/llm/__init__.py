"""NetLLM-style LLM-adapted agents: experience pools, encoders, DD-LRNA training."""

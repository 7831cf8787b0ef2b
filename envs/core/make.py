"""Moved to ``netgym.envs.make``; this re-export keeps the old import path for one release."""

from ..make import (  # noqa: F401
    PZ_PREFIX,
    is_parallel_env_id,
    make_env,
    make_vector_env,
    parallel_env_path,
)

__all__ = ["PZ_PREFIX", "is_parallel_env_id", "make_env", "make_vector_env", "parallel_env_path"]

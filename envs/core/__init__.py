"""Small helpers shared by every env family: validation and seeding."""

from .seeding import child_generators
from .validation import check_choice, check_range, check_sequence

__all__ = ["check_choice", "check_range", "check_sequence", "child_generators"]

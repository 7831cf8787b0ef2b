"""A toy env family built exactly the way docs/adding_an_env.md describes (used by
tests/test_toy_family.py): a walker on a line that must reach the goal."""

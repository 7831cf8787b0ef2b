"""The ``netgym`` command line: the only package that imports both agents and the leaderboard.

``main`` parses the command (``list``, ``evaluate``, ``leaderboard``, ``train``, ``collect``) and
runs it; ``board``, ``train`` and ``collect`` hold the subcommands, ``common`` what they share.
These modules are the terminal layer, not an API: scripts call the library instead.
"""

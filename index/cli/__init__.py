"""The `earful es`, `earful index`, `earful search` and `earful query` commands (entry points in pyproject.toml).

Each module imports nothing heavy at module level: `earful --help` stays fast.
"""

"""The `earful es`, `earful index`, `earful search` and `earful query` commands (pyproject.toml entry
points). Each module imports nothing heavy at module level: `earful --help` stays fast.
"""

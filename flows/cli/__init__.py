"""The `earful run` and `earful sources` commands (entry points in pyproject.toml).

Nothing heavy at import: Prefect loads inside the commands, after its environment is set.
"""

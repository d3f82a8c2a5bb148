"""Commands of the HTTP API: `earful serve` (serve.py) and `earful users` (users.py)."""

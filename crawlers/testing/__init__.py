"""Test support for sources, imported by tests, benchmarks and the demo.

- :mod:`crawlers.testing.contracts`: `SourceContract`, the pytest suite every Source passes, and `drain`.
- :mod:`crawlers.testing.replicas`: loopback replicas of sites and platform APIs (no internet).

Nothing is imported here: the replicas serve `earful demo` at run time, where pytest is not installed.
"""

"""Local replicas of what Earful collects from, for tests, the demo and the benchmark (no internet).

- :mod:`crawlers.testing.replicas.server`: a loopback HTTP server with scripted faults (429 + Retry-After,
  5xx, malformed and truncated JSON).
- :mod:`crawlers.testing.replicas.sites`: fixture websites (charsets, broken markup, huge pages, feeds,
  sitemaps, schema.org reviews) and the benchmark site; profiles for them beside this file.
- :mod:`crawlers.testing.replicas.apis`: the platform APIs' documented response shapes, written from their
  public documentation.
"""

from pathlib import Path

PROFILES = Path(__file__).parent


def profile_path(name: str) -> str:
    """Path of a replica site's profile: 'reviews', 'zh-forum', 'tw-forum', 'bench'."""
    return str(PROFILES / f"{name}.yaml")

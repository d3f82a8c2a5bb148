"""Test support for mention stores, imported by tests, benchmarks and plugin authors' test suites.

- :mod:`index.testing.corpus`: a deterministic corpus of enriched mentions (`enriched_mention`,
  `enriched_mentions`, `every_field_mention`) and the pure-Python reference of the store semantics
  (`reference_matches`, `reference_terms`, `chronological`...). No pytest: benchmarks may use it.
- :mod:`index.testing.contracts`: the shipped suites every mention store passes (`MentionStoreContract`,
  `QueryLanguageContract`, `CursorStoreContract`, `SavedSearchStoreContract`) and `StoreTraits`.
- :mod:`index.testing.isolation`: `WorkspaceIsolationContract`, two workspaces on one backend share
  nothing.

Nothing is imported here, so that importing the corpus does not import pytest.
"""

"""find_saved_search: one's own search of that name first, else the workspace's first (by owner)."""

from __future__ import annotations

from pathlib import Path

from core.models import SavedSearch
from core.registry import STORES
from core.settings import Settings
from index.saved_searches import find_saved_search


def test_own_first_then_the_workspaces(tmp_path: Path) -> None:
    store = STORES.create("sqlite", Settings(home=tmp_path), workspace="default")
    store.ensure_ready()
    for owner, query in (("zoe", "acme"), ("bo", "nimbus"), ("ana", "orbit")):
        store.save_search(SavedSearch(name="brand", owner=owner, query=query))
    assert find_saved_search(store, "brand", owner="zoe").query == "acme"  # type: ignore[union-attr]
    assert find_saved_search(store, "brand", owner="key:k1").owner == "ana"  # type: ignore[union-attr]
    assert find_saved_search(store, "nothing", owner="zoe") is None
    other = STORES.create("sqlite", Settings(home=tmp_path), workspace="acme")
    other.ensure_ready()
    assert find_saved_search(other, "brand", owner="zoe") is None  # another workspace's are not seen
    store.close()
    other.close()

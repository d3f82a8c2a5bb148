"""Components found through entry points (``earful.sources``, ``earful.stores``, ``earful.taggers``,
``earful.channels``). Built-ins register the same way, in pyproject.toml."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from core.errors import ConfigError, NotConfigured

log = logging.getLogger(__name__)
T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, group: str) -> None:
        self.group = group
        self._extra: dict[str, Callable[..., T]] = {}

    def register(self, name: str, factory: Callable[..., T]) -> None:
        """Register a component in-process (tests, plugins loaded by hand)."""
        self._extra[name] = factory

    def names(self) -> list[str]:
        return sorted({ep.name for ep in entry_points(group=self.group)} | set(self._extra))

    def load(self, name: str) -> Callable[..., T]:
        if name in self._extra:
            return self._extra[name]
        for ep in entry_points(group=self.group, name=name):
            factory: Callable[..., T] = ep.load()
            return factory
        raise ConfigError(
            f"no {self.group} component named {name!r}; known: {', '.join(self.names()) or 'none'}",
            details={"group": self.group, "name": name},
        )

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        return self.load(name)(*args, **kwargs)

    def create_enabled(self, names: list[str], *args: Any, **kwargs: Any) -> dict[str, T]:
        """Create each named component; one lacking configuration is logged as disabled, not fatal."""
        enabled: dict[str, T] = {}
        for name in names:
            try:
                enabled[name] = self.create(name, *args, **kwargs)
            except NotConfigured as exc:
                log.warning("%s %r disabled: %s", self.group, name, exc)
        return enabled


SOURCES: Registry[Any] = Registry("earful.sources")
STORES: Registry[Any] = Registry("earful.stores")
TAGGERS: Registry[Any] = Registry("earful.taggers")
CHANNELS: Registry[Any] = Registry("earful.channels")

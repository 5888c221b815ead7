"""Name -> function registries for the behavioural policies (no model imports)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.params import ParamError


class Registry:
    """A name -> function registry for one configuration key."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._items: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``fn`` under ``name``."""

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._items[name] = fn
            return fn

        return deco

    def get(self, name: str) -> Callable[..., Any]:
        """Return the function registered as ``name``.

        Raises:
            ParamError: Unknown name; the message lists the known ones.
        """
        if name not in self._items:
            known = ", ".join(self.names())
            raise ParamError(f"{self.key}={name!r}: unknown policy; known: {known}")
        return self._items[name]

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._items)


SAFETY = Registry("safety.mode")
DOWNSTREAM = Registry("downstream.mode")

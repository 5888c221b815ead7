"""Hydra structured-config schemas mirrored from the frozen :mod:`sim.params` dataclasses.

Frozen dataclasses cannot serve as Hydra schemas: OmegaConf marks their nodes
read-only and every command-line override fails. :func:`mirror` therefore
builds a mutable twin of each parameter dataclass with
:func:`dataclasses.make_dataclass` (same field names, types and defaults;
nested dataclasses mirrored recursively and created with ``default_factory``;
tuples become lists). Hydra then rejects wrong types and unknown keys at
composition, and :func:`to_params` converts the composed config to
:class:`sim.params.SimParams` once, at the entry point, where ranges and
choices are checked by :func:`sim.params.from_dict`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from sim.params import ParamError, SimParams, from_dict
from sweeps.specs import config_groups

#: Name of the top-level schema in Hydra's ConfigStore (first entry of the defaults list).
SCHEMA_NAME = "race_sim_schema"

#: Class name of the top-level schema.
TOP_LEVEL_NAME = "RaceSimConfig"

#: Keys of the top-level config that belong to the command line, not to the model:
#: key -> (type, default, meaning).
CLI_KEYS: dict[str, tuple[type, Any, str]] = {
    "replicates": (int, 1, "seeds run by one job: sim.replicate_seeds(seed, replicates)"),
}


def _mirror_type(tp: Any) -> Any:
    """Return the schema type for a parameter type (tuples become lists)."""
    if typing.get_origin(tp) is tuple:
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return list[args[0]] if args else list
    return tp


@functools.cache
def mirror(cls: type) -> type:
    """Return a mutable dataclass with the fields, types and defaults of ``cls``.

    Args:
        cls: A (frozen) parameter dataclass from :mod:`sim.params`.

    Returns:
        A new, non-frozen dataclass usable as a Hydra structured config; the
        same object on every call for the same ``cls``.
    """
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            sub = mirror(tp)
            specs.append((f.name, sub, dataclasses.field(default_factory=sub)))
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        else:
            default = f.default_factory()
        if isinstance(default, tuple):
            specs.append((f.name, _mirror_type(tp),
                          dataclasses.field(default_factory=lambda d=default: list(d))))
        else:
            specs.append((f.name, tp, dataclasses.field(default=default)))
    return _importable(dataclasses.make_dataclass(cls.__name__, specs))


@functools.cache
def top_level_schema() -> type:
    """Return the schema of the primary config: :class:`SimParams` plus the CLI keys.

    Returns:
        A dataclass with every field of ``SimParams`` followed by :data:`CLI_KEYS`.
    """
    base = mirror(SimParams)
    extra = [(name, tp, dataclasses.field(default=default))
             for name, (tp, default, _) in CLI_KEYS.items()]
    return _importable(dataclasses.make_dataclass(TOP_LEVEL_NAME, extra, bases=(base,)))


def _importable(cls: type) -> type:
    """Place a generated class in this module, so that pickle finds it by reference.

    Joblib and submitit workers receive configs whose nodes refer to the
    schema classes; :func:`__getattr__` rebuilds the same class there on first
    lookup.
    """
    cls.__module__ = __name__
    cls.__qualname__ = cls.__name__
    return cls


def __getattr__(name: str) -> type:
    """Return a generated schema class by name (PEP 562), e.g. ``TalentParams``.

    Args:
        name: ``RaceSimConfig`` or the name of a dataclass of :mod:`sim.params`.

    Returns:
        The mirrored class (the same object on every call).

    Raises:
        AttributeError: No such schema class.
    """
    import sim.params

    if name == TOP_LEVEL_NAME:
        return top_level_schema()
    source = getattr(sim.params, name, None)
    if isinstance(source, type) and dataclasses.is_dataclass(source):
        return mirror(source)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register() -> None:
    """Store the top-level schema in Hydra's ConfigStore under :data:`SCHEMA_NAME`."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=SCHEMA_NAME, node=top_level_schema())


def _unknown(key: str, value: str, where: str, allowed: list[str], wrong: str) -> str:
    """Format the message for an unknown key, with close matches."""
    close = difflib.get_close_matches(wrong, allowed, n=3)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return f"{key}={value}: unknown key in {where}{hint}; allowed: {', '.join(allowed)}"


def check_override_keys(args: Sequence[str]) -> str | None:
    """Check the keys of command-line overrides against the schema, before Hydra runs.

    Hydra rejects an unknown key too, but its message suggests appending the
    key with ``+``; this check instead names the key, its value and the keys
    that are allowed at that level (with close matches). Only plain
    ``key=value`` and ``section.key=value`` overrides of the model's keys are
    checked; Hydra options, ``hydra.*`` keys, config-group choices and
    ``+group=option`` additions are left to Hydra.

    Args:
        args: Command-line arguments (``sys.argv[1:]``).

    Returns:
        An error message for the first unknown key, or ``None``.
    """
    top = top_level_schema()
    hints = typing.get_type_hints(top)
    top_keys = [f.name for f in dataclasses.fields(top)]
    for arg in args:
        match = re.fullmatch(r"(\+{0,2})([A-Za-z_]\w*)((?:\.\w+)*)=(.*)", arg, flags=re.S)
        if match is None:
            continue
        plus, head, rest, value = match.groups()
        key = head + rest
        if head == "hydra":
            continue
        if head not in top_keys:
            if rest or (not plus and head not in config_groups()):
                allowed = sorted({*top_keys, *config_groups()})
                return _unknown(key, value, "the top level", allowed, head)
            continue
        node = hints[head]
        path = head
        for part in rest.split(".")[1:]:
            if not dataclasses.is_dataclass(node):
                return f"{key}={value}: {path} is a value, not a section with keys"
            fields = {f.name: f for f in dataclasses.fields(node)}
            if part not in fields:
                return _unknown(key, value, path, sorted(fields), part)
            node = typing.get_type_hints(node)[part]
            path = f"{path}.{part}"
    return None


def split_cli_keys(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a resolved config into model parameters and CLI-only settings.

    Args:
        data: Resolved top-level config as plain containers.

    Returns:
        ``(model_data, cli)``: the mapping for :func:`sim.params.from_dict` and
        the CLI keys (missing ones take their defaults).
    """
    model = {k: v for k, v in data.items() if k not in CLI_KEYS}
    cli = {k: data.get(k, default) for k, (_, default, _) in CLI_KEYS.items()}
    return model, cli


def to_params(cfg: Any) -> tuple[SimParams, dict[str, Any]]:
    """Convert a composed Hydra config to validated parameters and CLI settings.

    Args:
        cfg: The job's ``DictConfig`` (without the ``hydra`` node).

    Returns:
        ``(params, cli)``.

    Raises:
        sim.params.ParamError: A value is out of range, an unknown choice, or a
            CLI key has an invalid value (named with its key and what is allowed).
    """
    from omegaconf import OmegaConf

    model, cli = split_cli_keys(OmegaConf.to_container(cfg, resolve=True))
    params = from_dict(model)
    replicates = cli["replicates"]
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ParamError(f"replicates={replicates!r}: must be an integer >= 1")
    return params, cli

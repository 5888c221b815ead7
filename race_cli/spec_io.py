"""Reading user specs safely: YAML loading, override policy and output paths.

Sweep definitions (``race-sim-sweep``), experiment files (``race-experiment``,
shipped or recorded ``OUT/experiment.yaml`` of somebody else) and their
calibration sections are data: reading one must never run code, write
outside the chosen output folder or end in a traceback. This module holds
the three checks every spec goes through:

- :func:`load_yaml`: the one reader of a spec file. It uses PyYAML's safe
  loader (no Python tags) and refuses anchors and aliases (no "billion laughs"
  expansion), duplicate keys, non-string keys, ``${...}`` interpolations
  (OmegaConf would resolve them, e.g. ``${oc.env:HOME}``), files above
  :data:`MAX_SPEC_BYTES`, nesting deeper than :data:`MAX_DEPTH` and bytes that
  are not UTF-8. Every problem is a :class:`SpecError` whose message is one
  line, ``<file>:<line>:<col>: <what>`` where YAML gives a position.
- :func:`check_override`: the override policy. Spec files may set model keys
  and config-group choices only; ``hydra.*`` keys and Hydra's instantiation
  keys (``_target_`` and friends) are refused, except the choice of a shipped
  launcher (``hydra/launcher=NAME``, as older recorded experiments hold it).
  The user's own command line may in addition set ``hydra.launcher.*``
  settings and, for ``race-sim-sweep``, the sweep directory
  (``hydra.sweep.dir=DIR``).
- :func:`check_name` and :func:`inside`: spec names are plain file names and
  every output path derived from a spec lies inside its output root.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

#: Largest spec file read, in bytes (the shipped experiments are below 5 KiB).
MAX_SPEC_BYTES = 1 << 20

#: Deepest nesting of YAML collections accepted in a spec.
MAX_DEPTH = 32

#: Pattern of a spec ``name`` (it becomes a folder name).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

#: Keys that make Hydra or OmegaConf instantiate or call something.
INSTANTIATION_KEYS = ("_target_", "_partial_", "_args_", "_recursive_", "_convert_")

#: Largest seed of a model run (``sim.params.SimParams.seed``).
MAX_SEED = 2**63 - 1

#: Largest number of replicates (seeds per point).
MAX_REPLICATES = 100_000

#: Launchers shipped with race-sim (``configs/hydra/launcher``) plus Hydra's ``basic``.
LAUNCHERS = ("basic", "parallel", "slurm", "slurm_local")

ALLOWED_IN_SPEC = ("model keys (e.g. steps=60, downstream.partner_share=0.5) and config-group "
                   "choices (e.g. governance=antitrust); choose the launcher with the "
                   f"'launcher:' field or hydra/launcher=NAME ({', '.join(LAUNCHERS)})")
ALLOWED_ON_COMMAND_LINE = ("model keys, config-group choices, hydra/launcher=NAME "
                           f"({', '.join(LAUNCHERS)}) and hydra.launcher.<setting>=VALUE")


class SpecError(ValueError):
    """A spec that cannot be read or used; the message is one line naming the problem."""


def one_line(text: str) -> str:
    """Return ``text`` with its lines joined by ``; `` (messages stay on one line)."""
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _where(path: Path | str, mark: Any) -> str:
    """Return ``file:line:col`` for a YAML mark (1-based), or ``file`` without one."""
    if mark is None:
        return str(path)
    return f"{path}:{mark.line + 1}:{mark.column + 1}"


class _SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases.

    Attributes:
        spec_path: File name used in messages.
    """

    spec_path: Path | str = "<spec>"

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose a node; refuse aliases and anchors before anything is expanded."""
        event = self.peek_event()
        where = _where(self.spec_path, event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            raise SpecError(f"{where}: YAML alias *{event.anchor} is not allowed in a spec "
                            "(write the value out)")
        if getattr(event, "anchor", None) is not None:
            raise SpecError(f"{where}: YAML anchor &{event.anchor} is not allowed in a spec "
                            "(write the value out)")
        return super().compose_node(parent, index)


def _check_nodes(node: yaml.Node, path: Path | str, depth: int = 0) -> None:
    """Check a composed YAML tree: depth, string keys, unique keys, no interpolations."""
    if depth > MAX_DEPTH:
        raise SpecError(f"{_where(path, node.start_mark)}: nested deeper than {MAX_DEPTH} "
                        "levels")
    if isinstance(node, yaml.ScalarNode):
        if isinstance(node.value, str) and "${" in node.value:
            raise SpecError(f"{_where(path, node.start_mark)}: interpolation "
                            f"{node.value.strip()[:60]!r} is not allowed in a spec "
                            "(write the value out)")
        return
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _check_nodes(child, path, depth + 1)
        return
    seen: dict[str, Any] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag != "tag:yaml.org,2002:str":
            raise SpecError(f"{_where(path, key.start_mark)}: mapping keys must be plain "
                            "text")
        if key.value in seen:
            first = seen[key.value]
            raise SpecError(f"{_where(path, key.start_mark)}: duplicate key {key.value!r} "
                            f"(first at line {first.line + 1})")
        seen[key.value] = key.start_mark
        _check_nodes(key, path, depth + 1)
        _check_nodes(value, path, depth + 1)


def parse_yaml(text: str, path: Path | str = "<spec>") -> Any:
    """Parse the text of a spec with the rules of :func:`load_yaml`.

    Args:
        text: YAML text.
        path: File name used in messages.

    Returns:
        The document as plain Python containers (``None`` for an empty document).

    Raises:
        SpecError: The text breaks a rule or is not valid YAML.
    """
    loader = _SpecLoader(text)
    loader.spec_path = path
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, path)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(filter(None, [exc.context, exc.problem]))
        raise SpecError(f"{_where(path, mark)}: invalid YAML: {one_line(what)}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: invalid YAML: {one_line(exc)}") from None
    except RecursionError:
        raise SpecError(f"{path}: nested too deeply to read") from None
    finally:
        loader.dispose()


def load_yaml(path: Path | str, max_bytes: int = MAX_SPEC_BYTES) -> dict[str, Any]:
    """Read a spec file: a YAML mapping, safely (see the module docstring).

    Args:
        path: The file.
        max_bytes: Largest size accepted, in bytes.

    Returns:
        The mapping as plain Python containers.

    Raises:
        SpecError: Missing, unreadable, too large, not UTF-8, not valid YAML,
            breaking a rule of :func:`parse_yaml`, or not a mapping.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise SpecError(f"{path}: larger than {max_bytes} bytes; a spec is a short text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(f"{path}:{line}:{col}: not UTF-8 text (byte "
                        f"0x{raw[exc.start]:02x})") from None
    data = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a YAML mapping of fields, got "
                        f"{type(data).__name__ if data is not None else 'an empty file'}")
    return data


def override_key(item: str) -> str:
    """Return the key of an override without its ``+``, ``++`` or ``~`` prefix."""
    return item.split("=", 1)[0].strip().lstrip("+~").strip()


def check_override(item: Any, where: str, command_line: bool = False,
                   sweep_dir: bool = False) -> str:
    """Check one override against the policy of the module docstring.

    Args:
        item: The override (``key=value``).
        where: Where it comes from, for the message (e.g. ``sweep.overrides``).
        command_line: It was typed by the user on the command line (launcher
            choice and ``hydra.launcher.*`` settings allowed).
        sweep_dir: Also allow ``hydra.sweep.dir=DIR`` (``race-sim-sweep``'s
            command line).

    Returns:
        The override as a string.

    Raises:
        SpecError: The override is refused; the message names it and what is allowed.
    """
    if not isinstance(item, str | int | float) or isinstance(item, bool):
        raise SpecError(f"{where}: {item!r} is not a key=value override")
    item = str(item)
    allowed = ALLOWED_ON_COMMAND_LINE if command_line else ALLOWED_IN_SPEC
    for word in INSTANTIATION_KEYS:
        if word in item:
            raise SpecError(f"{where}: {item!r}: {word} is not allowed (it would make Hydra "
                            f"call code); allowed: {allowed}")
    if "\n" in item or "\r" in item or "\x00" in item:
        raise SpecError(f"{where}: {item!r}: line breaks and NUL bytes are not allowed")
    if "${" in item:
        raise SpecError(f"{where}: {item!r}: interpolations (${{...}}) are not allowed; write "
                        "the value out")
    key = override_key(item)
    prefix = item[: len(item) - len(item.lstrip("+~"))]
    if key == "hydra" or key.startswith(("hydra.", "hydra/", "hydra:")):
        value = item.split("=", 1)[1] if "=" in item else None
        if key == "hydra/launcher" and not prefix and value is not None:
            if value in LAUNCHERS:
                return item
            raise SpecError(f"{where}: {item!r}: unknown launcher; allowed: "
                            f"{', '.join(LAUNCHERS)}")
        if command_line and not prefix and value is not None:
            if re.fullmatch(r"hydra\.launcher\.[A-Za-z][A-Za-z0-9_]*", key):
                return item
            if sweep_dir and key == "hydra.sweep.dir":
                return item
        raise SpecError(f"{where}: {item!r}: Hydra settings ({key}) are not allowed "
                        + ("here" if command_line else "in a spec file") + "; allowed: "
                        + allowed + (", hydra.sweep.dir=DIR" if sweep_dir else ""))
    if "=" not in item or prefix.startswith("~"):
        raise SpecError(f"{where}: {item!r}: expected key=value")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", key):
        raise SpecError(f"{where}: {item!r}: the key {key!r} is not a dotted parameter key "
                        "or config group")
    return item


def check_overrides(items: Any, where: str, command_line: bool = False,
                    sweep_dir: bool = False) -> list[str]:
    """Check a list of overrides with :func:`check_override`; return them as strings.

    Raises:
        SpecError: Not a list, or an override is refused.
    """
    if items is None:
        return []
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise SpecError(f"{where}={items!r}: expected a list of key=value strings")
    return [check_override(item, where, command_line, sweep_dir) for item in items]


def check_keys(data: Any, where: str) -> None:
    """Refuse ``hydra`` and instantiation keys anywhere in a nested spec section.

    Args:
        data: A section of a spec (plain containers).
        where: Dotted path of the section, for the message.

    Raises:
        SpecError: A key starts with ``hydra`` or contains an instantiation key.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            text = str(key)
            path = f"{where}.{text}" if where else text
            bare = text.lstrip("+~")
            if bare == "hydra" or bare.startswith(("hydra.", "hydra/")) or any(
                    word in text for word in INSTANTIATION_KEYS):
                raise SpecError(f"{path}: key not allowed in a spec (Hydra settings and "
                                f"{', '.join(INSTANTIATION_KEYS)} can run code); allowed: "
                                f"{ALLOWED_IN_SPEC}")
            check_keys(value, path)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            check_keys(value, f"{where}[{index}]")


def check_name(name: Any, where: str = "name") -> str:
    """Check a spec name used as a folder name.

    Args:
        name: The name.
        where: Field, for the message.

    Returns:
        The name.

    Raises:
        SpecError: Not a plain name (letters, digits, ``_ . -``; no ``..``; at most
            100 characters).
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise SpecError(f"{where}={name!r}: a name is 1-100 letters, digits, '_', '.' or '-', "
                        "starting with a letter or digit, without '..' (it names a folder)")
    return name


def check_relative(path: Any, where: str) -> Path:
    """Check a path written in a spec: relative and without ``..`` components.

    Raises:
        SpecError: Absolute, with ``..``, empty, or not text.
    """
    if not isinstance(path, str) or not path.strip() or "\x00" in path:
        raise SpecError(f"{where}={path!r}: expected a relative folder path")
    parts = Path(path).parts
    if Path(path).is_absolute() or path.startswith("~") or ".." in parts:
        raise SpecError(f"{where}={path!r}: a spec may only name a folder below the current "
                        "directory (no absolute path, no '~', no '..'); choose another place "
                        "on the command line")
    return Path(path)


def inside(path: Path, root: Path, where: str) -> Path:
    """Resolve ``path`` and check that it lies inside ``root`` (both resolved).

    Args:
        path: Output path.
        root: The output root it must lie in (or be).
        where: What the path is, for the message.

    Returns:
        The resolved path.

    Raises:
        SpecError: The resolved path (symbolic links followed) is outside ``root``.
    """
    resolved, base = Path(path).resolve(), Path(root).resolve()
    if resolved != base and base not in resolved.parents:
        raise SpecError(f"{where}: {resolved} lies outside the output root {base}")
    return resolved


def check_seed(seed: Any, where: str, count: int = 1) -> int:
    """Check a root seed: an integer with ``seed + count - 1 <= 2**63 - 1``.

    Raises:
        SpecError: Not an integer in range.
    """
    if (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0
            or seed + count - 1 > MAX_SEED):
        bound = MAX_SEED - count + 1
        raise SpecError(f"{where}={seed!r}: expected an integer in [0, {bound}]"
                        + (f" (seeds run up to seed + {count - 1})" if count > 1 else ""))
    return seed


def check_count(value: Any, where: str, lo: int, hi: int) -> int:
    """Check an integer count in ``[lo, hi]``.

    Raises:
        SpecError: Not an integer in range.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SpecError(f"{where}={value!r}: expected an integer in [{lo}, {hi}]")
    return value

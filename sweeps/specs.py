"""Typed models of sweep, experiment and calibration specs, and their safe reading.

Sweep definitions (``race-sim-sweep``), experiment files (``race-experiment``,
shipped or recorded ``OUT/experiment.yaml`` of somebody else) and their
calibration sections are data: reading one must never run code, write
outside the chosen output folder or end in a traceback. Every spec goes
through:

- :func:`load_yaml`: the one reader of a spec file. It uses PyYAML's safe
  loader (no Python tags) and refuses anchors and aliases (no "billion laughs"
  expansion), duplicate keys, non-string keys, ``${...}`` interpolations
  (OmegaConf would resolve them, e.g. ``${oc.env:HOME}``), files above
  :data:`MAX_SPEC_BYTES`, nesting deeper than :data:`MAX_DEPTH` and bytes that
  are not UTF-8. Every problem is a :class:`SpecError` whose message is one
  line, ``<file>:<line>:<col>: <what>`` where YAML gives a position.
- The pydantic models :class:`SweepSpec`, :class:`ExperimentSpec` (with
  :class:`AnalysisSpec`) and :class:`CalibrationSpec`: strict types, unknown
  keys refused at every level, names that are plain folder names, bounded
  seeds, replicates and counts, and the parameter schema of :mod:`sim.params`
  (swept and fitted keys exist, bounds lie in each parameter's range).
  :func:`validate` turns the first problem into one line naming the dotted
  key, the value and what is allowed (:func:`error_line`); :func:`load_sweep`
  and :func:`load_experiment` read a file and validate it.
- :func:`check_override`: the override policy. Spec files may set model keys
  and config-group choices only; ``hydra.*`` keys and Hydra's instantiation
  keys (``_target_`` and friends) are refused, anywhere in a spec
  (:func:`check_keys`), except the choice of a shipped launcher
  (``hydra/launcher=NAME``, as older recorded experiments hold it). The
  user's own command line may in addition set ``hydra.launcher.*`` settings
  and, for ``race-sim-sweep``, the sweep directory (``hydra.sweep.dir=DIR``).
- :func:`inside`: every output path derived from a spec lies inside its output root.

Nothing here imports ``race_cli`` or ``analysis``; metric, extra and option
names and the design points' values are checked by the commands after the
model, still before anything is recorded or run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

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



# ---------------------------------------------------------------------------
# Typed models of the three spec kinds
# ---------------------------------------------------------------------------

#: Most points of one design (grid product, samples, or N (d + 2) for Saltelli).
MAX_POINTS = 1_000_000

#: Most bootstrap resamples of an experiment's analysis.
MAX_RESAMPLES = 1_000_000

#: Most seeds, objective evaluations and screen points of a calibration.
MAX_CALIBRATION_COUNT = 100_000


def _plain_name(value: str) -> str:
    """Check a name that becomes a folder or file name (:data:`NAME_PATTERN`, no ``..``)."""
    if not NAME_PATTERN.fullmatch(value) or ".." in value:
        raise ValueError("a name is 1-100 letters, digits, '_', '.' or '-', starting with a "
                         "letter or digit, without '..' (it names a folder)")
    return value


def _relative_dir(value: str) -> str:
    """Check a folder written in a spec: relative, without ``~`` or ``..`` components."""
    path = Path(value)
    if (not value.strip() or "\x00" in value or path.is_absolute() or value.startswith("~")
            or ".." in path.parts):
        raise ValueError("a spec may only name a folder below the current directory (no "
                         "absolute path, no '~', no '..'); choose another place on the "
                         "command line")
    return value


def _design_point(value: Any) -> str | int:
    """Check a reference to one design point: a job id or ``key=value[,key=value]``."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("expected a job id or key=value[,key=value]")
    return value


def _override_item(value: Any) -> str | int | float:
    """Check the type of an override item (its content is checked by :func:`check_override`)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("expected a key=value override")
    return value


#: A job id or ``key=value[,key=value]`` naming one design point.
DesignPoint = Annotated[Any, AfterValidator(_design_point)]

#: An item of ``overrides``: ``key=value`` (a bare number is refused by :func:`check_override`).
OverrideItem = Annotated[Any, AfterValidator(_override_item)]

#: A plain name (folder or file name without separators or ``..``).
Name = Annotated[str, AfterValidator(_plain_name)]

#: A seed of the model or of a design, in ``[0, 2**63 - 1]``.
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


@dataclass(frozen=True)
class Range:
    """Bounds of one sampled parameter.

    Attributes:
        key: Dotted parameter key.
        lo: Lower bound (inclusive), in the parameter's unit.
        hi: Upper bound (inclusive), in the parameter's unit.
        integer: Whether the parameter takes integer values.
        log: Sample uniformly in ``log(value)`` instead of ``value``.
    """

    key: str
    lo: float
    hi: float
    integer: bool = False
    log: bool = False


def leaf_fields() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Return dotted key -> (default, metadata) for every model parameter (:mod:`sim.params`)."""
    from sim.params import iter_fields

    return {key: (default, meta) for key, default, meta in iter_fields()}


def config_groups() -> list[str]:
    """Return the config groups shipped in the ``configs`` package (top-level folders)."""
    return sorted(p.name for p in resources.files("configs").iterdir()
                  if p.is_dir() and p.name not in ("hydra", "__pycache__"))


def group_options(group: str) -> list[str]:
    """Return the options of a shipped config group (``configs/<group>/*.yaml``)."""
    return sorted(p.name[:-5] for p in resources.files("configs").joinpath(group).iterdir()
                  if p.name.endswith(".yaml"))


def _within_parameter_range(where: str, lo: float, hi: float, meta: dict[str, Any]) -> None:
    """Check bounds ``[lo, hi]`` against a parameter's allowed range (its metadata)."""
    if not lo < hi:
        raise SpecError(f"{where}=[{lo}, {hi}]: needs lo < hi")
    allowed_lo, allowed_hi = meta.get("lo"), meta.get("hi")
    if allowed_lo is not None and (lo < allowed_lo or (meta.get("lo_open") and lo == allowed_lo)):
        raise SpecError(f"{where}.lo={lo}: below the parameter's allowed range "
                        f"({'>' if meta.get('lo_open') else '>='} {allowed_lo})")
    if allowed_hi is not None and hi > allowed_hi:
        raise SpecError(f"{where}.hi={hi}: above the parameter's allowed range (<= {allowed_hi})")


class _Spec(BaseModel):
    """Base of the spec models: strict types and unknown keys refused.

    YAML types are taken as written (no ``"1"`` for 1, no ``true`` for 1), no
    infinities or NaN; an unknown key is refused with the keys that are allowed.
    """

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        """Refuse the first unknown key (before the fields, so a misspelling is named)."""
        if isinstance(data, dict):
            unknown = [key for key in data if key not in cls.model_fields]
            if unknown:
                raise SpecError(f"{unknown[0]}: unknown field; allowed: "
                                f"{', '.join(cls.model_fields)}")
        return data


class Bounds(_Spec):
    """Bounds of a sampled or fitted parameter, in the parameter's unit.

    Attributes:
        lo: Lower bound.
        hi: Upper bound.
        scale: ``linear`` or ``log`` (sample uniformly in the logarithm; sweeps only).
    """

    lo: float
    hi: float
    scale: Literal["linear", "log"] = "linear"


class Design(_Spec):
    """The ``design`` field of a sweep.

    Attributes:
        kind: ``grid`` (cartesian product of listed values), ``lhs`` (Latin
            hypercube) or ``sobol`` (scrambled Sobol sequence).
        samples: Number of sampled points (lhs, sobol: a power of 2); with
            ``saltelli`` the base sample size N.
        seed: Seed of the sampled design (required for lhs and sobol).
        saltelli: Sobol only: N (d + 2) points from which total-order indices are estimated.
    """

    kind: Literal["grid", "lhs", "sobol"] = "grid"
    samples: int | None = Field(None, ge=1)
    seed: Seed | None = None
    saltelli: bool = False


def _default_seed() -> int:
    """Return the default root seed of :class:`sim.params.SimParams`."""
    from sim.params import SimParams

    return SimParams().seed


class SweepSpec(_Spec):
    """A sweep definition (``race-sim-sweep FILE``, or an experiment's ``sweep`` section).

    Attributes:
        name: Sweep name (a plain folder name); default: the file's stem.
        dir: Sweep directory, relative to the current directory.
        design: The design.
        params: Swept dotted keys or config groups -> grid values, or ``[lo, hi]``
            / ``{lo, hi, scale}`` bounds for sampled designs.
        replicates: Seeds per point: seed, seed + 1, ...
        seed: Root seed of the model runs.
        launcher: Hydra launcher of ``--executor hydra``.
        overrides: Model keys and config-group choices applied to every run.
    """

    name: Name | None = None
    dir: Annotated[str, AfterValidator(_relative_dir)] | None = None
    design: Design = Field(default_factory=Design)
    params: dict[str, Any] = Field(min_length=1)
    replicates: int = Field(1, ge=1, le=MAX_REPLICATES)
    seed: Seed = Field(default_factory=_default_seed)
    launcher: Literal["basic", "parallel", "slurm", "slurm_local"] = "basic"
    overrides: list[OverrideItem] = Field(default_factory=list)
    _ranges: list[Range] = PrivateAttr(default_factory=list)
    _groups: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_code_keys(cls, data: Any) -> Any:
        """Refuse ``hydra`` and instantiation keys anywhere (:func:`check_keys`)."""
        check_keys(data, "")
        return data

    @property
    def ranges(self) -> list[Range]:
        """Bounds of the sampled parameters (lhs, sobol), in column order."""
        return list(self._ranges)

    @property
    def groups(self) -> list[str]:
        """Swept keys that are config groups (their values are option names)."""
        return list(self._groups)

    def count(self) -> int:
        """Return the number of design points."""
        if self.design.kind == "grid":
            return math.prod(len(v) for v in self.params.values())
        samples = self.design.samples or 0
        return samples * ((len(self.params) + 2) if self.design.saltelli else 1)

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        """Check the design against its parameters, the seeds and the overrides."""
        design, kind = self.design, self.design.kind
        if design.saltelli and kind != "sobol":
            raise SpecError("design.saltelli=True: true or false, and only with kind: sobol")
        fields, groups = leaf_fields(), config_groups()
        self._ranges, self._groups = [], []
        for key, spec in self.params.items():
            if key in groups:
                if kind != "grid":
                    raise SpecError(f"params.{key}: config groups can only be swept with "
                                    "kind: grid")
                self._groups.append(key)
            elif key not in fields:
                raise SpecError(f"params.{key}: unknown parameter (dotted key of the config, "
                                f"e.g. downstream.partner_share, or a config group: "
                                f"{', '.join(groups)})")
            if kind == "grid":
                _check_grid(key, spec, key in groups)
            else:
                self._ranges.append(_range(key, spec, *fields[key]))
        if kind == "grid":
            if design.samples is not None or design.seed is not None:
                raise SpecError("design: samples and seed apply to lhs and sobol, not grid")
        else:
            if design.samples is None:
                raise SpecError("design.samples=None: expected an integer >= 1")
            if kind == "sobol" and design.samples & (design.samples - 1):
                raise SpecError(f"design.samples={design.samples}: a Sobol design needs a "
                                "power of 2 (balance properties); e.g. 8, 16, 32")
            if design.seed is None:
                raise SpecError(f"design.seed=None: {kind} designs need an explicit "
                                "non-negative integer seed")
        if self.count() > MAX_POINTS:
            where = "params: the grid has" if kind == "grid" else \
                f"design.samples={design.samples}:"
            raise SpecError(f"{where} {self.count()} points; at most {MAX_POINTS}")
        if self.seed + self.replicates - 1 > MAX_SEED:
            raise SpecError(f"seed={self.seed}: expected an integer in "
                            f"[0, {MAX_SEED - self.replicates + 1}] (seeds run up to seed + "
                            f"{self.replicates - 1})")
        for item in self.overrides:
            check_override(item, "overrides")
        return self


def _check_grid(key: str, values: Any, group: bool) -> None:
    """Check the listed values of a grid parameter (a config group: its option names)."""
    where = f"params.{key}"
    if not isinstance(values, list) or not values:
        raise SpecError(f"{where}={values!r}: a grid lists the values, e.g. [0.0, 0.5, 1.0]")
    for value in values:
        if not isinstance(value, str | int | float | bool):
            raise SpecError(f"{where}: value {value!r} is not a plain number, boolean or name")
        if group and value not in group_options(key):
            raise SpecError(f"{where}={value!r}: unknown option; allowed: "
                            f"{', '.join(group_options(key))}")


def _range(key: str, spec: Any, default: Any, meta: dict[str, Any]) -> Range:
    """Check the bounds of a sampled parameter against its type and allowed range."""
    where = f"params.{key}"
    if isinstance(default, bool) or not isinstance(default, int | float):
        raise SpecError(f"{where}: {type(default).__name__} parameters cannot be sampled; "
                        "sweep them with kind: grid")
    if isinstance(spec, list) and len(spec) == 2:
        spec = {"lo": spec[0], "hi": spec[1]}
    elif not isinstance(spec, dict):
        raise SpecError(f"{where}={spec!r}: expected [lo, hi] or {{lo, hi, scale}}")
    try:
        bounds = Bounds.model_validate(spec)
    except ValidationError as exc:
        raise SpecError(error_line(exc, where)) from None
    lo, hi = bounds.lo, bounds.hi
    integer = isinstance(default, int)
    if integer and not (lo.is_integer() and hi.is_integer()):
        raise SpecError(f"{where}=[{lo}, {hi}]: integer parameter needs integer bounds")
    if bounds.scale == "log" and lo <= 0:
        raise SpecError(f"{where}.lo={lo}: scale log needs lo > 0")
    _within_parameter_range(where, lo, hi, meta)
    return Range(key, lo, hi, integer, bounds.scale == "log")


class ExperimentSweep(SweepSpec):
    """An experiment's ``sweep`` section: a sweep without ``name`` and ``dir``.

    The experiment's name names the sweep and ``--out`` chooses its directory.
    """

    @model_validator(mode="after")
    def _no_name_or_dir(self) -> ExperimentSweep:
        """Refuse the fields that the experiment sets."""
        for key in ("name", "dir"):
            if getattr(self, key) is not None:
                raise SpecError(f"{key}: set by the experiment (its name and --out)")
        return self


class KeyFigures(_Spec):
    """The ``analysis.key_figures`` field: paired effects against one lever.

    Attributes:
        lever: A swept parameter (dotted key).
        by: Another swept parameter drawn as separate lines, or ``None``.
        metrics: 1 to 4 summary metric names.
    """

    lever: str
    by: str | None = None
    metrics: list[str] = Field(min_length=1, max_length=4)


class AnalysisSpec(_Spec):
    """An experiment's ``analysis`` section (metric and extra names are checked by the CLI).

    Attributes:
        metrics: Metrics of the report and the findings.
        baseline: A job id or ``key=value[,key=value]`` naming one design point.
        contrasts: Label -> point compared with the baseline.
        extras: Named extra analyses (``analysis.findings.EXTRAS``).
        options: Options of the extras.
        n_resamples: Bootstrap resamples.
        figures: Report figures shown in the findings (file stems).
        key_figures: Paired effect against a lever.
    """

    metrics: list[str] | None = None
    baseline: DesignPoint | None = None
    contrasts: dict[str, DesignPoint] | None = None
    extras: list[str] | None = None
    options: dict[str, Any] | None = None
    n_resamples: int = Field(4999, ge=1, le=MAX_RESAMPLES)
    figures: list[Name] | None = None
    key_figures: KeyFigures | None = None


class Target(_Spec):
    """One moment of a calibration: a summary metric's target value.

    Attributes:
        value: Target value, in the metric's unit.
        scale: Scale of the squared error (> 0), in the metric's unit.
        band: Pass band ``[lo, hi]`` holding the value.
        source: Where the target comes from.
    """

    value: float
    scale: float
    band: list[float] = Field(min_length=2, max_length=2)
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> Target:
        """Check the scale and that the band holds the value."""
        if self.scale <= 0:
            raise SpecError(f"scale={self.scale}: must be > 0")
        lo, hi = self.band
        if not lo <= self.value <= hi:
            raise SpecError(f"band=[{lo}, {hi}]: must contain the value {self.value}")
        return self


class Screen(_Spec):
    """The Latin-hypercube screen of a calibration, before Powell's method.

    Attributes:
        points: Points evaluated (0: no screen).
        seed: Seed of the Latin hypercube.
    """

    points: int = Field(0, ge=0, le=MAX_CALIBRATION_COUNT)
    seed: Seed = 0


class FreeBounds(_Spec):
    """Bounds of a fitted parameter, in the parameter's unit.

    Attributes:
        lo: Lower bound.
        hi: Upper bound.
    """

    lo: float
    hi: float


class CalibrationSpec(_Spec):
    """An experiment's ``calibration`` section (fields in :mod:`race_cli.calibrate`).

    Attributes:
        seeds: Distinct seeds averaged at every evaluation (common random numbers).
        screen: Optional Latin-hypercube screen.
        max_evaluations: Budget of Powell's objective evaluations.
        start: Start values of free parameters.
        free: Real-valued dotted keys -> bounds within the parameter's range.
        targets: Summary metric -> target.
    """

    seeds: list[Seed] = Field(min_length=1, max_length=MAX_CALIBRATION_COUNT)
    screen: Screen | None = None
    max_evaluations: int = Field(60, ge=1, le=MAX_CALIBRATION_COUNT)
    start: dict[str, float] | None = None
    free: dict[str, FreeBounds] = Field(min_length=1)
    targets: dict[str, Target] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> CalibrationSpec:
        """Check seeds, free parameters, start values and target metrics."""
        from sim.results import SUMMARY_METRICS

        if len(set(self.seeds)) != len(self.seeds):
            raise SpecError(f"seeds={self.seeds!r}: expected distinct seeds")
        fields = leaf_fields()
        for key, bounds in self.free.items():
            where = f"free.{key}"
            if key not in fields:
                raise SpecError(f"{where}: unknown parameter (a dotted key of the config, "
                                "e.g. capital.market_elasticity)")
            default, meta = fields[key]
            if isinstance(default, bool) or not isinstance(default, float):
                raise SpecError(f"{where}: a {type(default).__name__} parameter cannot be "
                                "fitted; free parameters are real-valued")
            _within_parameter_range(where, bounds.lo, bounds.hi, meta)
        for key, value in (self.start or {}).items():
            if key not in self.free:
                raise SpecError(f"start.{key}: not a free parameter; free: "
                                f"{', '.join(self.free)}")
            bounds = self.free[key]
            if not bounds.lo <= value <= bounds.hi:
                raise SpecError(f"start.{key}={value}: outside the bounds "
                                f"[{bounds.lo}, {bounds.hi}]")
        for metric in self.targets:
            if metric not in SUMMARY_METRICS:
                raise SpecError(f"targets.{metric}: unknown summary metric; known: "
                                f"{', '.join(SUMMARY_METRICS)}")
        return self


class QuickSpec(_Spec):
    """An experiment's ``quick`` field: per section, the fields the quick variant replaces.

    Attributes:
        sweep: Fields of the sweep section.
        analysis: Fields of the analysis section.
        calibration: Fields of the calibration section.
        dsair: Fields of the dsair section.
    """

    sweep: dict[str, Any] | None = None
    analysis: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = None
    dsair: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _known_fields(self) -> QuickSpec:
        """Refuse fields that the section they replace does not have."""
        models = {"sweep": ExperimentSweep, "analysis": AnalysisSpec,
                  "calibration": CalibrationSpec}
        for section, model in models.items():
            unknown = sorted(set(getattr(self, section) or {}) - set(model.model_fields))
            if unknown:
                raise SpecError(f"{section}.{unknown[0]}: unknown field; allowed: "
                                f"{', '.join(model.model_fields)}")
        return self


class ExperimentSpec(_Spec):
    """An experiment file (``experiments/<name>/experiment.yaml`` or a recorded one).

    Attributes:
        name: Experiment name (a plain folder name).
        title: Title of the report.
        question: The question the experiment answers.
        kind: ``sweep``, ``calibration`` (fit, then sweep) or ``dsair`` (analytic model).
        variant: ``full`` or ``quick``, set in a recorded spec.
        sweep: The sweep (kinds sweep and calibration).
        analysis: The analysis of the sweep.
        calibration: The fit (kind calibration).
        dsair: The analytic DSAIR model's settings (checked by ``analysis.validation``).
        quick: Fields the quick variant replaces, per section.
    """

    name: Name
    title: str | None = None
    question: str | None = None
    kind: Literal["sweep", "calibration", "dsair"] = "sweep"
    variant: Literal["full", "quick"] | None = None
    sweep: ExperimentSweep | None = None
    analysis: AnalysisSpec | None = None
    calibration: CalibrationSpec | None = None
    dsair: dict[str, Any] | None = None
    quick: QuickSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_code_keys(cls, data: Any) -> Any:
        """Refuse ``hydra`` and instantiation keys anywhere (:func:`check_keys`)."""
        check_keys(data, "")
        return data

    @model_validator(mode="after")
    def _sections_of_kind(self) -> ExperimentSpec:
        """Require the sections that the kind runs."""
        needed = {"sweep": ("sweep",), "calibration": ("sweep", "calibration"),
                  "dsair": ("dsair",)}
        for section in needed[self.kind]:
            if not getattr(self, section):
                raise SpecError(f"{section}: required for kind {self.kind}")
        return self


def _dotted(loc: Sequence[Any]) -> str:
    """Return a pydantic error location as a dotted key (``a.b[0].c``)."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def error_line(exc: ValidationError, prefix: str = "") -> str:
    """Return the first error of a validation as one line naming key, value and what is allowed.

    Rules checked by the models raise :class:`SpecError` with a message that
    starts with the offending key relative to the model; pydantic's own errors
    (types, ranges, choices, missing keys) are worded here as
    ``key=value: what is allowed``.

    Args:
        exc: The validation error.
        prefix: Dotted key of the validated section (e.g. ``calibration``), or ``""``.

    Returns:
        The message, on one line.
    """
    error = exc.errors(include_url=False)[0]
    loc = [prefix, *error["loc"]] if prefix else list(error["loc"])
    where = _dotted(loc)
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, SpecError):
        return one_line(f"{where}.{cause}" if where else str(cause))
    if error["type"] == "missing":
        return f"{where}: required"
    if error["type"] == "literal_error":
        choices = error["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        return one_line(f"{where}={error['input']!r}: allowed: {choices}")
    message = str(cause) if cause is not None else error["msg"]
    value = repr(error["input"])
    value = value if len(value) <= 80 else value[:77] + "..."
    return one_line(f"{where}={value}: {message[:1].lower()}{message[1:]}")


SpecModel = TypeVar("SpecModel", bound=BaseModel)


def validate(model: type[SpecModel], data: Any, prefix: str = "") -> SpecModel:
    """Validate plain containers against a spec model.

    Args:
        model: :class:`SweepSpec`, :class:`ExperimentSpec` or :class:`CalibrationSpec`.
        data: The spec (e.g. from :func:`load_yaml`).
        prefix: Dotted key of the section in its file, for messages.

    Returns:
        The model.

    Raises:
        SpecError: The first problem, in one line (:func:`error_line`).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError(error_line(exc, prefix)) from None


def _load(model: type[SpecModel], path: Path | str) -> SpecModel:
    """Read a spec file with :func:`load_yaml` and validate it; messages start with the file."""
    try:
        return validate(model, load_yaml(path))
    except SpecError as exc:
        raise SpecError(exc if str(exc).startswith(str(path)) else f"{path}: {exc}") from None


def load_sweep(path: Path | str) -> SweepSpec:
    """Read and validate a sweep file (``race-sim-sweep FILE``).

    Raises:
        SpecError: ``FILE: ...`` or ``FILE:LINE:COL: ...``, one line.
    """
    return _load(SweepSpec, path)


def load_experiment(path: Path | str) -> ExperimentSpec:
    """Read and validate an experiment file (shipped, user-written or recorded).

    Raises:
        SpecError: ``FILE: ...`` or ``FILE:LINE:COL: ...``, one line.
    """
    return _load(ExperimentSpec, path)

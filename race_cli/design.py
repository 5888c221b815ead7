"""``race-sim-sweep``: run a YAML sweep definition (grid, Latin hypercube, Sobol) as a multirun.

A definition names the swept parameters and the design::

    name: partner_share_lhs          # sweep name; directory multirun/<name> by default
    design:
      kind: lhs                      # grid | lhs | sobol
      samples: 8                     # number of points (sobol: a power of 2)
      seed: 42                       # seed of the design (lhs, sobol)
      # saltelli: true               # sobol only: N (d + 2) jobs for total-order indices
    params:                          # lhs/sobol: [lo, hi] or {lo, hi, scale: log}
      downstream.partner_share: [0.0, 1.0]
      partnership.deal_size_valuation_share: {lo: 0.1, hi: 1.0, scale: log}
    replicates: 5                    # seeds per point: seed, seed+1, ...
    seed: 20151                      # root seed of the model runs
    launcher: parallel               # basic | parallel | slurm | slurm_local
    overrides: [scenario=small, steps=60]

For ``kind: grid`` each parameter lists its values (``key: [v1, v2, ...]``),
config groups included (``governance: [none, antitrust]``), and the points are
their cartesian product. Sampled points are drawn with
:mod:`scipy.stats.qmc` in the unit cube and scaled to the bounds (integer
parameters are floored to integers in ``[lo, hi]``).

The command validates everything up front (``--dry-run`` runs the same
checks and prints the points), records the sweep in ``SWEEP_DIR/sweep.yaml``
(refusing a directory that holds a different sweep) and runs every (point,
seed) pair through :func:`sweeps.runner.run_design` on the chosen executor
(``--executor local|dask|submitit``): results go to the Parquet store of
:mod:`sweeps.store`, then ``runs.csv``, ``timeseries.csv`` and ``flows.csv``
are exported for spreadsheets. Running the same command again runs only the
missing pairs. ``--executor hydra`` keeps the older path: one config file per
point (``SWEEP_DIR/design/design_point/p00000.yaml``, ...) and ``race-sim
--multirun +design_point=p00000,...`` with the definition's launcher.
"""

from __future__ import annotations

import argparse
import itertools
import math
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from race_cli.sweep import DESIGN_GROUP, SweepConflict, claim
from sweeps.specs import (
    Range,
    SpecError,
    SweepSpec,
    check_override,
    inside,
    load_sweep,
    one_line,
    validate,
)

#: Executors of the runner (``--executor``); ``hydra`` selects the older multirun path.
EXECUTORS = ("local", "dask", "submitit")
DESIGN_DIR = "design"


class DefinitionError(ValueError):
    """A sweep definition that cannot be run; the message names the field and the rule."""


@dataclass(frozen=True)
class Definition:
    """A validated sweep definition, with its directory and the command line applied.

    The definition's fields are those of :class:`sweeps.specs.SweepSpec`,
    declared there once; this adds only what is resolved from the command
    line and the file, with the spec's fields as properties where callers
    read them.

    Attributes:
        spec: The validated definition.
        name: Sweep name (the spec's, else the file's stem).
        sweep_dir: Sweep directory (absolute).
        launcher: Launcher config choice (the spec's, unless ``hydra/launcher=`` is given).
        overrides: Base overrides applied to every job (the spec's, then the
            command line's model keys; they define the sweep).
        hydra_overrides: ``hydra...`` overrides (launcher settings; not part of the
            sweep's identity).
    """

    spec: SweepSpec
    name: str
    sweep_dir: Path
    launcher: str
    overrides: list[str] = field(default_factory=list)
    hydra_overrides: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``grid``, ``lhs`` or ``sobol``."""
        return self.spec.design.kind

    @property
    def params(self) -> list[str]:
        """Swept keys, in column order."""
        return list(self.spec.params)

    @property
    def values(self) -> dict[str, list[Any]]:
        """Grid values per key (``kind: grid``; empty for sampled designs)."""
        if self.kind != "grid":
            return {}
        return {k: list(v) for k, v in self.spec.params.items()}

    @property
    def ranges(self) -> list[Range]:
        """Bounds per key (``lhs``, ``sobol``)."""
        return self.spec.ranges

    @property
    def samples(self) -> int:
        """Number of sampled points (``lhs``, ``sobol``; with ``saltelli`` the base size ``N``)."""
        return self.spec.design.samples or 0

    @property
    def design_seed(self) -> int | None:
        """Seed of the sampled design."""
        return self.spec.design.seed

    @property
    def saltelli(self) -> bool:
        """Sobol design in the Saltelli layout (``N (d + 2)`` jobs: A, B, AB_1..AB_d)."""
        return self.spec.design.saltelli

    @property
    def replicates(self) -> int:
        """Seeds per point."""
        return self.spec.replicates

    @property
    def seed(self) -> int:
        """Root seed of the model runs."""
        return self.spec.seed

    @property
    def groups(self) -> list[str]:
        """Swept keys that are config groups (values are option names)."""
        return self.spec.groups


def parse_definition(data: Mapping[str, Any] | SweepSpec, extra: Sequence[str] = (),
                     default_name: str = "sweep", cwd: Path | None = None,
                     sweep_dir: Path | None = None) -> Definition:
    """Validate a sweep definition (its fields; :func:`check_points` checks the values).

    The fields are checked by :class:`sweeps.specs.SweepSpec` (spec files are
    data: overrides set model keys and config-group choices only, ``name`` is a
    plain folder name, ``dir`` a relative folder below ``cwd``); this adds the
    command line and the sweep directory.

    Args:
        data: The definition: plain containers or an already validated model.
        extra: Overrides typed by the user on the command line, appended to the
            definition's overrides. ``hydra.sweep.dir=DIR`` sets the directory
            (unless ``sweep_dir`` is given), ``hydra/launcher=NAME`` the launcher
            and ``hydra.launcher.*`` settings go to Hydra only.
        default_name: Name when the definition has none (the file's stem).
        cwd: Directory that a relative sweep directory is relative to, and the
            root the definition's ``dir`` must lie in (default: the current directory).
        sweep_dir: Sweep directory chosen by the caller (``race-experiment --out``);
            the definition may then set neither ``dir`` nor ``hydra.sweep.dir``.

    Returns:
        The validated definition.

    Raises:
        DefinitionError: A field is missing, unknown or invalid.
    """
    try:
        spec = data if isinstance(data, SweepSpec) else validate(SweepSpec, data)
        items = [check_override(item, "overrides") for item in spec.overrides]
        items += [check_override(item, "command line", command_line=True,
                                 sweep_dir=sweep_dir is None) for item in extra]
        root = (cwd or Path.cwd()).resolve()
        name = spec.name or default_name
        if sweep_dir is not None:
            if spec.dir is not None:
                raise DefinitionError("dir: set by the caller (--out)")
            directory = Path(sweep_dir).resolve()
        elif spec.dir is not None:
            directory = inside(root / spec.dir, root, "dir")
        else:
            directory = inside(root / "multirun" / name, root / "multirun", "name")
    except SpecError as exc:
        raise DefinitionError(str(exc)) from None
    launcher = spec.launcher
    overrides, hydra_overrides = [], []
    for item in items:
        key = item.split("=", 1)[0].lstrip("+~")
        if key == "hydra.sweep.dir":
            directory = (root / item.split("=", 1)[1]).resolve()
        elif key == "hydra/launcher":
            launcher = item.split("=", 1)[1]
        elif key.startswith(("hydra.", "hydra/")):
            hydra_overrides.append(item)
        elif key in spec.params:
            raise DefinitionError(f"override {item!r}: {key} is swept by the design")
        elif key in ("seed", "replicates"):
            raise DefinitionError(f"override {item!r}: set {key} as a field of the definition")
        else:
            overrides.append(item)
    return Definition(spec=spec, name=name, sweep_dir=directory, launcher=launcher,
                      overrides=overrides, hydra_overrides=hydra_overrides)


def compose_model(overrides: Sequence[str]) -> dict[str, Any]:
    """Compose the primary config with ``overrides`` as ``race-sim`` does; return it as data.

    Args:
        overrides: Model overrides (keys and config-group choices; no ``hydra`` keys).

    Returns:
        The resolved config without the ``hydra`` node (plain containers).

    Raises:
        DefinitionError: An unknown key or option, or a value of the wrong type
            (one line naming the override).
    """
    from hydra import compose, initialize_config_module
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from race_cli import schema

    problem = schema.check_override_keys(list(overrides))
    if problem is not None:
        raise DefinitionError(f"overrides: {problem}")
    schema.register()
    try:
        with initialize_config_module(config_module="configs", version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides))
        data = OmegaConf.to_container(cfg, resolve=True)
    except (HydraException, OmegaConfBaseException) as exc:
        text = one_line(f"{exc}\n{exc.__cause__ or ''}").split("; Config search path")[0]
        raise DefinitionError(f"overrides: {text}") from None
    data.pop("hydra", None)
    return data


def _changed(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Return the parts of a nested mapping that differ from ``defaults`` (nested mappings)."""
    changed: dict[str, Any] = {}
    for key, value in data.items():
        default = defaults.get(key)
        if isinstance(value, Mapping) and isinstance(default, Mapping):
            sub = _changed(value, default)
            if sub:
                changed[key] = sub
        elif key not in defaults or value != default:
            changed[key] = value
    return changed


def point_overrides(defn: Definition, pts: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Return each point's parameter overrides, checked against the parameter schema.

    The base config (the definition's overrides and each combination of swept
    config-group options) is composed with Hydra as ``race-sim`` composes it;
    each point's values are then set on what differs from the defaults and
    checked by :func:`sim.params.from_dict` (types, ranges, choices and the
    rules between parameters). So a value that a run would refuse is refused
    before anything is recorded or run, and the result is what the runner
    passes to :func:`sim.from_dict`.

    Args:
        defn: The definition.
        pts: Its points (:func:`points`).

    Returns:
        Per point, a nested mapping of overrides (keys left out take their defaults).

    Raises:
        DefinitionError: The first offending override or point, naming the key,
            the value and the rule.
    """
    import copy

    from race_cli.schema import split_cli_keys
    from sim.params import ParamError, SimParams, from_dict, to_dict

    defaults = to_dict(SimParams())
    group_index = [defn.params.index(g) for g in defn.groups]
    bases: dict[tuple[Any, ...], dict[str, Any]] = {}
    checked: set[tuple[Any, ...]] = set()
    result = []
    for index, point in enumerate(pts):
        choice = tuple(point[i] for i in group_index)
        if choice not in bases:
            chosen = [f"{g}={v}" for g, v in zip(defn.groups, choice, strict=True)]
            base, _ = split_cli_keys(compose_model([*defn.overrides, *chosen,
                                                    f"seed={defn.seed}"]))
            try:
                from_dict(base)
            except ParamError as exc:
                where = f" with {', '.join(chosen)}" if chosen else ""
                raise DefinitionError(f"overrides{where}: {exc}") from None
            # Keys left out take their defaults in from_dict, so keeping only what differs
            # from the defaults runs the same parameters with smaller points.
            bases[choice] = _changed(base, defaults)
        data = copy.deepcopy(bases[choice])
        for key, value in zip(defn.params, point, strict=True):
            if key in defn.groups:
                continue
            *parents, leaf = key.split(".")
            node = data
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        if tuple(point) not in checked:
            try:
                from_dict(data)
            except ParamError as exc:
                raise DefinitionError(f"params (point {index}): {exc}") from None
            checked.add(tuple(point))
        result.append(data)
    return result


def check_points(defn: Definition, pts: Sequence[Sequence[Any]]) -> None:
    """Check every point of a design with its base overrides (see :func:`point_overrides`).

    Args:
        defn: The definition.
        pts: Its points (:func:`points`).

    Raises:
        DefinitionError: The first offending override or point.
    """
    point_overrides(defn, pts)


def unit_sample(kind: str, dims: int, samples: int, seed: int, saltelli: bool = False) -> Any:
    """Draw a design in the unit cube.

    Args:
        kind: ``lhs`` (Latin hypercube) or ``sobol`` (scrambled Sobol sequence).
        dims: Number of parameters ``d``.
        samples: Number of points (a power of 2 for Sobol).
        seed: Seed of the design's generator.
        saltelli: For ``sobol``: draw ``2 d`` dimensions, split them into
            matrices A and B and return A, B, AB_1, ..., AB_d stacked, where
            AB_i is A with column i taken from B (Saltelli et al. 2010).

    Returns:
        Array of shape ``(samples, d)``, or ``(samples (d + 2), d)`` with
        ``saltelli``, with values in ``[0, 1)``.
    """
    import numpy as np
    from scipy.stats import qmc

    if kind == "lhs":
        return qmc.LatinHypercube(d=dims, rng=seed).random(samples)
    width = 2 * dims if saltelli else dims
    unit = qmc.Sobol(d=width, scramble=True, rng=seed).random_base2(int(math.log2(samples)))
    if not saltelli:
        return unit
    a, b = unit[:, :dims], unit[:, dims:]
    blocks = [a, b]
    for i in range(dims):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return np.vstack(blocks)


def scale_point(unit: Sequence[float], ranges: Sequence[Range]) -> list[float | int]:
    """Map a point of the unit cube to parameter values.

    Linear: ``lo + u (hi - lo)``; log: ``lo (hi / lo)^u``; integers:
    ``lo + floor(u (hi - lo + 1))`` capped at ``hi``, so each integer has equal weight.

    Args:
        unit: Coordinates in ``[0, 1)``.
        ranges: Bounds per coordinate.

    Returns:
        The parameter values (Python floats or ints).
    """
    values: list[float | int] = []
    for u, r in zip(unit, ranges, strict=True):
        if r.integer:
            values.append(int(min(r.lo + math.floor(u * (r.hi - r.lo + 1)), r.hi)))
        elif r.log:
            values.append(float(r.lo * (r.hi / r.lo) ** u))
        else:
            values.append(float(r.lo + u * (r.hi - r.lo)))
    return values


def points(defn: Definition) -> list[list[Any]]:
    """Return the design points of a definition, one list of values per job, in job order."""
    if defn.kind == "grid":
        return [list(p) for p in itertools.product(*(defn.values[k] for k in defn.params))]
    unit = unit_sample(defn.kind, len(defn.ranges), defn.samples, defn.design_seed,
                       defn.saltelli)
    return [scale_point(row, defn.ranges) for row in unit]


def sweep_record(defn: Definition, pts: list[list[Any]]) -> dict[str, Any]:
    """Return the ``sweep.yaml`` record of a definition and its points."""
    design: dict[str, Any] = {"kind": defn.kind, "seed": defn.design_seed,
                              "samples": len(pts)}
    if defn.saltelli:
        design["saltelli"] = True
        design["base_samples"] = defn.samples
    if defn.kind == "grid":
        design["values"] = defn.values
        design["bounds"] = {k: [min(v), max(v)] for k, v in defn.values.items()
                            if all(isinstance(x, int | float) and not isinstance(x, bool)
                                   for x in v)}
    else:
        design["bounds"] = {r.key: [r.lo, r.hi] for r in defn.ranges}
        design["scale"] = {r.key: "log" if r.log else "linear" for r in defn.ranges}
    design["points"] = pts
    return {"name": defn.name, "params": defn.params, "design": design,
            "replicates": defn.replicates, "seed": defn.seed, "overrides": defn.overrides,
            "jobs": len(pts), "launcher": defn.launcher}


def point_name(index: int, count: int) -> str:
    """Return the config name of point ``index`` (zero-padded so names sort in job order)."""
    return f"p{index:0{max(5, len(str(count - 1)))}d}"


def write_points(defn: Definition, pts: list[list[Any]]) -> Path:
    """Write one ``# @package _global_`` config per point; return the search-path directory.

    Args:
        defn: The definition.
        pts: The points, in job order.

    Returns:
        ``SWEEP_DIR/design`` (holding the ``design_point`` config group).
    """
    from omegaconf import OmegaConf

    from race_cli.outputs import atomic_write_text

    group_dir = defn.sweep_dir / DESIGN_DIR / DESIGN_GROUP
    group_dir.mkdir(parents=True, exist_ok=True)
    for index, point in enumerate(pts):
        values: dict[str, Any] = {}
        choices = []
        for key, value in zip(defn.params, point, strict=True):
            if key in defn.groups:
                choices.append({f"override /{key}": value})
                continue
            node = values
            *parents, leaf = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        body = OmegaConf.to_yaml({"defaults": choices, **values} if choices else values)
        atomic_write_text(group_dir / f"{point_name(index, len(pts))}.yaml",
                          f"# @package _global_\n# Point {index} of sweep {defn.name} "
                          f"({defn.kind})\n{body}")
    return group_dir.parent


def _quote(text: str) -> str:
    """Quote a string for a Hydra override value."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def multirun_command(defn: Definition, search_dir: Path, count: int) -> list[str]:
    """Return the ``race-sim --multirun`` command line that runs the design's points.

    The points are listed by name: Hydra's ``glob(*)`` does not see config
    groups on a search path added by an override. The app is started through
    :func:`race_cli.main.main` (not ``-m``), so that launchers pickle the task
    function by reference.

    Args:
        defn: The definition.
        search_dir: Directory holding the ``design_point`` config group.
        count: Number of points.

    Returns:
        The argument list (starting with the Python interpreter).
    """
    return [
        sys.executable, "-c", "from race_cli.main import main; main()", "--multirun",
        f"hydra.sweep.dir={_quote(str(defn.sweep_dir))}",
        f"hydra.searchpath=[{_quote('file://' + str(search_dir))}]",
        f"hydra/launcher={defn.launcher}",
        *defn.hydra_overrides,
        f"+{DESIGN_GROUP}=" + ",".join(point_name(i, count) for i in range(count)),
        f"replicates={defn.replicates}",
        f"seed={defn.seed}",
        *defn.overrides,
    ]


def _table(defn: Definition, pts: list[list[Any]], limit: int = 20) -> str:
    """Format the first design points as a plain-text table."""
    head = ["job", *defn.params]
    rows = [[str(i), *(f"{v:.6g}" if isinstance(v, float) else str(v) for v in p)]
            for i, p in enumerate(pts[:limit])]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    if len(pts) > limit:
        lines.append(f"... {len(pts) - limit} more")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``race-sim-sweep``.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Exit status: 0 when every run finished, 1 when some failed (listed in
        ``failures.json``), 2 for an invalid definition, a directory holding a
        different sweep or a locked directory, 130 when interrupted.
    """
    parser = argparse.ArgumentParser(
        prog="race-sim-sweep",
        description="Run a sweep (grid, Latin hypercube or Sobol design) defined in a YAML file "
                    "through the sweeps runner (resumable; results in a Parquet store). See "
                    "docs/cli.md, 'Running sweeps'.",
    )
    parser.add_argument("definition", type=Path, help="sweep definition (YAML)")
    parser.add_argument("overrides", nargs="*",
                        help="extra key=value overrides for every run; hydra.sweep.dir=DIR sets "
                             "the directory, hydra/launcher=NAME the launcher of --executor hydra")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the points and the race-sim command, run nothing")
    parser.add_argument("--executor", choices=[*EXECUTORS, "hydra"], default="local",
                        help="where the runs go: local processes (default), a Dask cluster, "
                             "SLURM job arrays through submitit, or the older Hydra multirun "
                             "(one job folder per point, the definition's launcher)")
    parser.add_argument("--workers", type=_positive, default=None,
                        help="runs at once: local processes, Dask LocalCluster workers or "
                             "SLURM array elements (default: all cores; submitit: 64)")
    parser.add_argument("--chunk-size", type=_positive, default=None,
                        help="(point, seed) runs per task (default: about 8 tasks per worker, "
                             "at most 500 runs)")
    parser.add_argument("--max-array-size", type=_positive, default=1000,
                        help="submitit: most tasks per SLURM job array (default 1000)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="dask: address of a running scheduler (default: a LocalCluster)")
    parser.add_argument("--slurm", action="append", default=[], type=_slurm_option,
                        metavar="KEY=VALUE",
                        help="submitit: a parameter of submitit's AutoExecutor, e.g. "
                             "slurm_partition=cpu, timeout_min=120, mem_gb=2, "
                             "'slurm_setup=[\"module load python\"]' (VALUE is read as YAML)")
    args = parser.parse_intermixed_args(argv)
    try:
        return _main(args)
    except KeyboardInterrupt:
        print("interrupted; rerun to resume", file=sys.stderr)
        return 130


def _positive(text: str) -> int:
    """Parse a positive integer command-line value."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= 1")
    return value


def _slurm_option(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` of ``--slurm`` (VALUE read as YAML: numbers, lists, strings)."""
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE, e.g. timeout_min=120")
    try:
        return key, yaml.safe_load(value)
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"{text!r}: VALUE is not valid YAML") from None


def _main(args: argparse.Namespace) -> int:
    """Validate the definition, then print it (``--dry-run``) or run it."""
    try:
        spec = load_sweep(args.definition)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        defn = parse_definition(spec, args.overrides, default_name=args.definition.stem)
        pts = points(defn)
        overrides = point_overrides(defn, pts)
    except DefinitionError as exc:
        print(f"error: {args.definition}: {one_line(exc)}", file=sys.stderr)
        return 2
    print(f"Sweep {defn.name}: {defn.kind} design, {len(pts)} points x {defn.replicates} "
          f"seeds = {len(pts) * defn.replicates} runs -> {defn.sweep_dir}")
    print(_table(defn, pts))
    if args.dry_run:
        search_dir = defn.sweep_dir / DESIGN_DIR
        print(" ".join(multirun_command(defn, search_dir, len(pts))))
        return 0
    if args.executor == "hydra":
        return run_definition(defn, pts)
    return run_with_runner(defn, pts, overrides, args.executor, workers=args.workers,
                           chunk_size=args.chunk_size, max_array_size=args.max_array_size,
                           scheduler=args.scheduler, slurm=dict(args.slurm))


def make_executor(name: str, sweep_dir: Path, workers: int | None = None,
                  max_array_size: int = 1000, scheduler: str | None = None,
                  slurm: Mapping[str, Any] | None = None) -> Any:
    """Return the executor of ``--executor NAME`` (see :mod:`sweeps.executors`).

    Args:
        name: ``local``, ``dask`` or ``submitit``.
        sweep_dir: The sweep directory (submitit's job files go to ``SWEEP_DIR/submitit``).
        workers: Runs at once.
        max_array_size: Most tasks per SLURM job array.
        scheduler: Address of a Dask scheduler.
        slurm: Parameters of submitit's ``AutoExecutor.update_parameters``.

    Returns:
        The executor.
    """
    from sweeps import executors

    if name == "submitit":
        return executors.submitit(sweep_dir / "submitit", max_array_size=max_array_size,
                                  workers=workers or 64, **dict(slurm or {}))
    if name == "dask":
        return executors.dask(workers=workers, address=scheduler)
    return executors.local(workers)


def run_with_runner(defn: Definition, pts: list[list[Any]], overrides: list[dict[str, Any]],
                    executor: str, workers: int | None = None, chunk_size: int | None = None,
                    max_array_size: int = 1000, scheduler: str | None = None,
                    slurm: Mapping[str, Any] | None = None) -> int:
    """Record the sweep and run (or resume) it through :func:`sweeps.runner.run_design`.

    Holds the directory's lock, records ``sweep.yaml`` (refusing a different
    sweep), runs the missing (point, seed) pairs, writes the Parquet aggregate,
    ``failures.json`` and the CSV tables that :mod:`analysis` reads.

    Args:
        defn: The validated definition.
        pts: Its design points, in point order.
        overrides: Per point, the parameter overrides (:func:`point_overrides`).
        executor: ``local``, ``dask`` or ``submitit``.
        workers: Runs at once.
        chunk_size: Runs per task.
        max_array_size: Most tasks per SLURM job array.
        scheduler: Address of a Dask scheduler.
        slurm: Parameters of submitit's ``AutoExecutor`` (``--slurm``).

    Returns:
        0 when every run finished, 1 when some failed, 2 when the directory
        holds another sweep or is locked, 130 when interrupted.
    """
    import sim
    from race_cli.sweep import job_dirs
    from sweeps.runner import run_design
    from sweeps.store import FAILURES_JSON, StoreError, SweepStore

    seeds = sim.replicate_seeds(defn.seed, defn.replicates)
    store = SweepStore(defn.sweep_dir)
    try:
        with store.locked():
            if job_dirs(defn.sweep_dir):
                raise StoreError(f"{defn.sweep_dir} holds job folders of a Hydra multirun; "
                                 "resume it with --executor hydra or choose another directory")
            try:
                pool = make_executor(executor, defn.sweep_dir, workers, max_array_size,
                                     scheduler, slurm)
            except (ValueError, TypeError, OSError) as exc:
                print(f"error: --executor {executor}: {one_line(exc)}", file=sys.stderr)
                return 2
            try:
                claim(defn.sweep_dir, sweep_record(defn, pts), ignore=("config_sha256",))
            except SweepConflict:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            try:
                report = run_design(overrides, seeds, pool, store, chunk_size,
                                    progress=sys.stderr.isatty(), params=defn.params,
                                    labels=pts)
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
            if report.interrupted:
                print("interrupted; rerun to resume", file=sys.stderr)
                return 130
            store.export_csv()
    except (SweepConflict, StoreError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    print(f"[sweep] {report.total} runs: {report.skipped} already finished, {report.done} run "
          f"now, {report.failed} failed, {report.seconds:.1f} s -> {defn.sweep_dir}")
    if report.failures:
        shown = "\n".join(f"  point {f.point} seed {f.seed}: {f.error}"
                           for f in report.failures[:10])
        more = f"\n  ... {report.failed - 10} more" if report.failed > 10 else ""
        print(f"error: {report.failed} of {report.total} runs failed (all listed in "
              f"{defn.sweep_dir / FAILURES_JSON}; the others' results are kept):\n{shown}{more}"
              "\nRe-run the same command to retry only these runs.", file=sys.stderr)
        return 1
    return 0


def run_definition(defn: Definition, pts: list[list[Any]]) -> int:
    """Claim the sweep directory, write the points and run (or resume) the Hydra multirun.

    This is ``--executor hydra``: one job folder per point through the
    definition's Hydra launcher. The point names go on the command line, so
    very large designs (about 18,700 points and more) exceed the operating
    system's argument-length limit; use the runner for those.

    Args:
        defn: The validated definition.
        pts: Its design points (:func:`points`), in job order.

    Returns:
        Exit status of the multirun; 2 if the directory holds a different sweep.
    """
    try:
        claim(defn.sweep_dir, sweep_record(defn, pts), ignore=("config_sha256",))
    except SweepConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    search_dir = write_points(defn, pts)
    sys.stdout.flush()
    return subprocess.run(multirun_command(defn, search_dir, len(pts)), check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

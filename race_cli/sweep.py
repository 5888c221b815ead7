"""Sweeps: the sweep record (``sweep.yaml``), resuming, progress and the multirun callback.

A sweep directory belongs to exactly one sweep. Its ``sweep.yaml`` records
the definition: name, swept parameters, design (kind, seed, bounds, points),
replicates, root seed, base overrides and a digest of the composed base
config. :func:`claim` writes it on the first run and, on every later run into
the same directory, compares it with the new sweep: the same sweep resumes
(jobs with ``done.json`` are skipped by :func:`race_cli.main.run_job`), a
different one is refused with the list of differences.

:class:`SweepCallback` (configured under ``hydra.callbacks`` in the primary
config) ties this into Hydra's multirun: it claims the directory before any
job starts, prints progress (jobs finished / total and an ETA) after each job,
aggregates the results (:func:`analysis.aggregate.aggregate`) at the end, and
ends the sweep with a non-zero exit listing the failed jobs and their errors.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.core.utils import JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from sweeps.store import (
    DONE_JSON,
    ERROR_JSON,
    SWEEP_YAML,
    atomic_write_json,
    atomic_write_text,
    job_dirs,
    load_record,
)

log = logging.getLogger(__name__)

SWEEP_PROVENANCE_JSON = "provenance.json"
#: Config group holding the points of a sampled design (written by ``race-sim-sweep``).
DESIGN_GROUP = "design_point"
PROGRESS_JSON = ".progress.json"
PROGRESS_LOG = ".progress.log"

#: Keys of ``sweep.yaml`` that do not define the sweep (a re-run may change them).
NOT_IDENTITY = ("name", "created_utc", "launcher")


class SweepConflict(Exception):
    """The sweep directory holds a different sweep (or results of an unrecorded one)."""


def _exit(message: str, status: int) -> None:
    """Print ``error: message`` to stderr and end the process with ``status``.

    Hydra turns exceptions raised by callbacks into warnings and carries on,
    so a callback that must stop the sweep (or make it exit non-zero) raises
    :class:`SystemExit`, which Hydra lets through.
    """
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(status)


def _dump(record: Mapping[str, Any]) -> str:
    """Return the YAML text of a record (keys in insertion order)."""
    return OmegaConf.to_yaml(OmegaConf.create(dict(record)))


def identity(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the fields of a record that define the sweep, normalised through YAML.

    Args:
        record: A sweep record.

    Returns:
        The record without :data:`NOT_IDENTITY` keys, as it reads back from YAML.
    """
    kept = {k: v for k, v in record.items() if k not in NOT_IDENTITY}
    return OmegaConf.to_container(OmegaConf.create(_dump(kept)), resolve=False)


def _differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Describe where two sweep identities differ, one line per differing leaf."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        lines = []
        for key in dict.fromkeys([*old, *new]):
            sub = f"{path}.{key}" if path and "." not in str(key) else (
                f"{path}[{key}]" if path else str(key))
            lines += _differences(old.get(key), new.get(key), sub)
        return lines
    if old == new:
        return []
    before = _clip(json.dumps(old, default=str))
    after = _clip(json.dumps(new, default=str))
    return [f"  {path}: recorded {before}, now {after}"]


def _clip(text: str, limit: int = 160) -> str:
    """Shorten ``text`` to at most ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _write_record(sweep_dir: Path, record: Mapping[str, Any]) -> None:
    """Write ``sweep.yaml`` atomically."""
    atomic_write_text(sweep_dir / SWEEP_YAML,
                      "# race-sim sweep record: written on the first run, checked on every "
                      "re-run into this directory\n" + _dump(record))


def claim(sweep_dir: Path, record: Mapping[str, Any],
          ignore: Sequence[str] = ()) -> dict[str, Any]:
    """Record a sweep in its directory, or check that the directory holds the same sweep.

    Args:
        sweep_dir: The sweep directory (created if missing).
        record: The sweep record (see the module docstring).
        ignore: Recorded keys not to compare (``config_sha256`` when the
            record comes from ``race-sim-sweep``, which does not compose the config).

    Returns:
        The record now in ``sweep.yaml``.

    Raises:
        SweepConflict: The directory holds a different sweep, or job folders
            without a ``sweep.yaml``.
    """
    from sweeps.store import environment

    existing = load_record(sweep_dir)
    if existing is None:
        if job_dirs(sweep_dir):
            raise SweepConflict(
                f"{sweep_dir} already holds job folders but no {SWEEP_YAML}: refusing to mix "
                "this sweep with unrecorded results. Choose another directory "
                "(hydra.sweep.dir=...) or delete the old one."
            )
        sweep_dir.mkdir(parents=True, exist_ok=True)
        stored = {**record, "created_utc": datetime.now(UTC).isoformat(timespec="seconds")}
        _write_record(sweep_dir, stored)
        atomic_write_json(sweep_dir / SWEEP_PROVENANCE_JSON, environment())
        return stored
    old = identity({k: v for k, v in existing.items() if k not in ignore})
    new = identity({k: v for k, v in record.items() if k not in ignore})
    if old != new:
        raise SweepConflict(
            f"{sweep_dir} holds a different sweep ({sweep_dir / SWEEP_YAML} differs):\n"
            + "\n".join(_differences(old, new)[:12])
            + "\nRe-running the same sweep resumes it; for a different sweep choose another "
            "directory (hydra.sweep.dir=... or the definition's 'dir') or delete this one."
        )
    return existing


def config_digest(config: DictConfig) -> str:
    """Return the SHA-256 of a resolved config without its ``hydra`` node.

    Args:
        config: A composed config.

    Returns:
        Hex digest of the canonical JSON of the config.
    """
    task = copy.deepcopy(config)
    with open_dict(task):
        task.pop("hydra", None)
    data = OmegaConf.to_container(task, resolve=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """Return an override value as a plain YAML-able Python value."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _numeric(values: Sequence[Any]) -> bool:
    """Return whether all values are numbers (not booleans)."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def grid_record(config: DictConfig) -> dict[str, Any]:
    """Build the sweep record of a plain ``race-sim -m`` multirun (a grid).

    The swept keys and their values come from ``hydra.sweeper.params`` and the
    task overrides, combined the way Hydra's basic sweeper combines them
    (later overrides of a key replace earlier ones; the cartesian product in
    order of first appearance), so that point ``i`` is job ``i``.

    Args:
        config: The multirun config passed to ``on_multirun_start``.

    Returns:
        The record (design kind ``grid``).
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    loader = GlobalHydra.instance().config_loader() if GlobalHydra.instance().is_initialized() \
        else None
    parser = OverridesParser.create(config_loader=loader)
    sweeper_params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    lines = [f"{k}={v}" for k, v in sweeper_params.items()]
    lines += list(config.hydra.overrides.task)
    entries: dict[str, tuple[str, list[Any] | None, str]] = {}
    for override in parser.parse_overrides(lines):
        element = override.get_key_element()
        if override.is_sweep_override():
            values = [_plain(v) for v in override.sweep_iterator()]
            entries[element] = (override.key_or_group, values, override.input_line)
        else:
            entries[element] = (override.key_or_group, None,
                                f"{element}={override.get_value_element_as_str()}")
    swept = {key: values for key, values, _ in entries.values() if values is not None}
    points = [list(p) for p in itertools.product(*swept.values())]
    bounds = {k: [min(v), max(v)] for k, v in swept.items() if v and _numeric(v)}
    return {
        "name": Path(str(config.hydra.sweep.dir)).name,
        "params": list(swept),
        "design": {"kind": "grid", "seed": None, "samples": len(points), "values": swept,
                   "bounds": bounds, "points": points},
        "replicates": config.get("replicates"),
        "seed": config.get("seed"),
        "overrides": [line for _, values, line in entries.values() if values is None],
        "jobs": len(points),
        "config_sha256": config_digest(config),
    }


def is_design_sweep(config: DictConfig) -> bool:
    """Return whether a multirun sweeps the design points written by ``race-sim-sweep``."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    return any(o.key_or_group == DESIGN_GROUP
               for o in parser.parse_overrides(list(config.hydra.overrides.task)))


def claim_design(sweep_dir: Path, config: DictConfig) -> dict[str, Any]:
    """Check a design sweep's record (written by ``race-sim-sweep``) against the composed config.

    The first multirun of the sweep adds the digest of the composed base
    config to ``sweep.yaml``; later ones must match it (same config files).

    Args:
        sweep_dir: The sweep directory.
        config: The multirun config.

    Returns:
        The record.

    Raises:
        SweepConflict: No record, or the configuration changed since the sweep started.
    """
    record = load_record(sweep_dir)
    if record is None:
        raise SweepConflict(f"{sweep_dir / SWEEP_YAML} is missing: start design sweeps with "
                            "race-sim-sweep DEFINITION.yaml")
    digest = config_digest(config)
    if record.get("config_sha256") is None:
        record["config_sha256"] = digest
        _write_record(sweep_dir, record)
    elif record["config_sha256"] != digest:
        raise SweepConflict(
            f"{sweep_dir} holds a sweep composed from a different configuration "
            "(config_sha256 in sweep.yaml differs: a config file or override changed). "
            "Choose another directory or delete this one."
        )
    return record


def _format_seconds(seconds: float) -> str:
    """Format a duration as ``1h02m``, ``3m05s`` or ``12.3s``."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds >= 60:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{seconds:.1f}s"


def progress_start(sweep_dir: Path, total: int) -> int:
    """Reset the progress counters of a sweep at the start of a multirun.

    Args:
        sweep_dir: The sweep directory.
        total: Number of jobs in the sweep.

    Returns:
        Number of jobs already finished (they will be skipped).
    """
    done = sum(1 for d in job_dirs(sweep_dir) if (d / DONE_JSON).is_file())
    atomic_write_json(sweep_dir / PROGRESS_JSON,
                      {"start_unix": time.time(), "done_at_start": done, "total": total})
    atomic_write_text(sweep_dir / PROGRESS_LOG, "")
    return done


def progress_note(sweep_dir: Path, status: str) -> str | None:
    """Count one finished job and return a progress line with an ETA.

    Each finished job appends one byte to ``.progress.log`` (``d`` done, ``f``
    failed); appends of one byte are atomic, so jobs in parallel processes
    count correctly without locks.

    Args:
        sweep_dir: The sweep directory.
        status: ``"done"`` or ``"failed"``.

    Returns:
        The progress line, or ``None`` when the counters are missing.
    """
    try:
        start = json.loads((sweep_dir / PROGRESS_JSON).read_text(encoding="utf-8"))
        with open(sweep_dir / PROGRESS_LOG, "ab") as handle:
            handle.write(b"d" if status == "done" else b"f")
        marks = (sweep_dir / PROGRESS_LOG).read_bytes()
    except (OSError, ValueError):
        return None
    finished = start["done_at_start"] + len(marks)
    elapsed = time.time() - start["start_unix"]
    remaining = max(start["total"] - finished, 0)
    eta = elapsed / len(marks) * remaining if marks else 0.0
    failed = marks.count(b"f")
    return (f"[sweep] {finished}/{start['total']} jobs finished"
            + (f" ({failed} failed)" if failed else "")
            + f", elapsed {_format_seconds(elapsed)}, ETA {_format_seconds(eta)}")


def failures(sweep_dir: Path, record: Mapping[str, Any]) -> list[str]:
    """List the jobs of a sweep without results, with their point and error.

    Args:
        sweep_dir: The sweep directory.
        record: The sweep record (``jobs``, ``params``, ``design.points``).

    Returns:
        One line per failed or unfinished job.
    """
    params = record.get("params") or []
    points = (record.get("design") or {}).get("points") or []
    lines = []
    for job in range(int(record.get("jobs") or len(points))):
        folder = sweep_dir / str(job)
        if (folder / DONE_JSON).is_file():
            continue
        point = points[job] if job < len(points) else []
        where = ", ".join(f"{k}={v}" for k, v in zip(params, point, strict=False))
        error_file = folder / ERROR_JSON
        if error_file.is_file():
            error = json.loads(error_file.read_text(encoding="utf-8")).get("error", "?")
        else:
            error = "no result: the job did not finish (interrupted, killed or timed out)"
        lines.append(f"  job {job}" + (f" ({where})" if where else "") + f": {error}")
    return lines


class SweepCallback(Callback):
    """Hydra callback that makes multiruns resumable, reports progress and aggregates."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Claim the sweep directory (exit 2 if it holds a different sweep); reset progress."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            if is_design_sweep(config):
                record = claim_design(sweep_dir, config)
            else:
                record = claim(sweep_dir, grid_record(config))
        except SweepConflict as exc:
            _exit(str(exc), 2)
        except Exception as exc:  # Hydra would only warn and run an unrecorded sweep
            _exit(f"cannot record the sweep in {sweep_dir}: {type(exc).__name__}: {exc}", 1)
        done = progress_start(sweep_dir, int(record["jobs"]))
        log.info("[sweep] %s: %d jobs x %s seeds, %d already finished -> %s",
                 record.get("name"), record["jobs"], record.get("replicates"), done, sweep_dir)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Print jobs finished / total and the ETA after a job of a multirun."""
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        status = "failed"
        if job_return.status == JobStatus.COMPLETED and isinstance(job_return.return_value, dict):
            status = job_return.return_value.get("status", "done")
        if status == "skipped":
            return
        line = progress_note(Path(str(config.hydra.sweep.dir)), status)
        if line:
            log.info(line)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the finished jobs; exit with status 1 listing failed jobs, if any."""
        from analysis.aggregate import aggregate

        sweep_dir = Path(str(config.hydra.sweep.dir))
        record = load_record(sweep_dir) or {}
        try:
            result = aggregate(sweep_dir)
        except Exception as exc:  # Hydra would only warn and exit 0
            _exit(f"aggregating {sweep_dir} failed: {type(exc).__name__}: {exc}", 1)
        log.info("[sweep] aggregated %d runs of %d finished jobs into %s",
                 result.rows, len(result.jobs), result.runs_csv)
        failed = failures(sweep_dir, record)
        if failed:
            _exit(f"{len(failed)} of {record.get('jobs')} jobs failed or did not finish "
                  f"(results of the others are in {sweep_dir}):\n" + "\n".join(failed)
                  + "\nRe-run the same command to retry only these jobs.", 1)

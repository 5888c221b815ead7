"""Run every (point, seed) pair of a design through an executor into a :class:`SweepStore`.

:func:`run_design` is the one way race-sim runs many simulations: the
``race-sim-sweep`` command, calibration and notebooks all call it. Pairs
already in the store are filtered out before anything is submitted; the rest
are packed into tasks of ``chunk_size`` pairs, each task runs in a worker and
writes one Parquet part. A pair whose model run raises is recorded as failed
and its task carries on; a task whose worker dies records all its pairs as
failed and the other tasks finish (with the local process pool, the tasks
that were running beside it when the pool broke are rerun one at a time, so
only the culprit's pairs are lost). At the end the aggregate and the failure
list are written, also after failures; a rerun runs only the missing pairs.
"""

from __future__ import annotations

import math
import os
import secrets
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweeps.store import Aggregate, Failure, SweepStore

#: Most pairs per task when the chunk size is chosen automatically.
MAX_AUTO_CHUNK = 500
#: Tasks per worker aimed at when the chunk size is chosen automatically (load balance).
TASKS_PER_WORKER = 8
#: Error recorded for the pairs of a task whose worker process died.
WORKER_DIED = ("worker process died while running this task (killed by a signal, "
               "out of memory, or a crash in native code)")

#: Restarts of a broken pool in a row without any task finishing before the runner gives up.
MAX_FRUITLESS_RESTARTS = 3

TaskFn = Callable[[Mapping[str, Any], int], Any]


def simulate(point: Mapping[str, Any], seed: int) -> Any:
    """Run the model at one point: ``sim.run(sim.from_dict(point), seed)``.

    Args:
        point: Nested mapping of parameter overrides (e.g. ``{"steps": 12,
            "scenario": {"n_labs": 4}}``); keys left out take their defaults.
        seed: Root seed of the run.

    Returns:
        The run's :class:`sim.Results`.
    """
    import sim

    return sim.run(sim.from_dict(point), seed)


@dataclass(frozen=True)
class TaskReport:
    """What one task did (returned from the worker).

    Attributes:
        done: Number of pairs with results written.
        failed: Pairs whose run raised, with the error.
    """

    done: int
    failed: list[Failure]


@dataclass
class RunReport:
    """What :func:`run_design` did.

    Attributes:
        total: Pairs in the design (points x seeds).
        skipped: Pairs already in the store before this run.
        done: Pairs run successfully by this run.
        failures: Pairs that failed in this run, sorted by (point, seed) (also in
            ``failures.json``).
        interrupted: The run was interrupted (Ctrl-C); rerun to resume.
        aggregate: The aggregate written (``None`` when interrupted).
        seconds: Wall time, in seconds.
    """

    total: int
    skipped: int
    done: int = 0
    failures: list[Failure] = field(default_factory=list)
    interrupted: bool = False
    aggregate: Aggregate | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        """Number of failed pairs."""
        return len(self.failures)

    @property
    def missing(self) -> int:
        """Pairs without results after this run."""
        return self.total - self.skipped - self.done


@dataclass
class _Task:
    """A chunk of pairs submitted as one unit."""

    task_id: str
    items: list[tuple[int, int, int, Mapping[str, Any]]]
    generation: int = 0
    isolated: bool = False


def run_task(store: SweepStore, task_id: str,
             items: Sequence[tuple[int, int, int, Mapping[str, Any]]],
             task_fn: TaskFn = simulate) -> TaskReport:
    """Run the pairs of one task in a worker and write its part.

    Args:
        store: The sweep's store.
        task_id: Unique name of the task.
        items: ``(point, replicate, seed, overrides)`` per pair.
        task_fn: ``task_fn(overrides, seed)`` returns the run's results.

    Returns:
        Pairs done and the pairs whose run raised (one-line errors).
    """
    store.mark_started(task_id)
    rows, failed = [], []
    for point, replicate, seed, overrides in items:
        try:
            rows.append((point, replicate, seed, task_fn(overrides, seed)))
        except Exception as exc:
            message = " ".join(f"{type(exc).__name__}: {exc}".split())
            failed.append(Failure(point, seed, message[:500]))
    store.write_part(task_id, rows)
    return TaskReport(len(rows), failed)


def auto_chunk(pairs: int, workers: int) -> int:
    """Return a chunk size giving about :data:`TASKS_PER_WORKER` tasks per worker.

    Args:
        pairs: Pairs to run.
        workers: Workers of the executor.

    Returns:
        Pairs per task, between 1 and :data:`MAX_AUTO_CHUNK`.
    """
    return max(1, min(MAX_AUTO_CHUNK, math.ceil(pairs / (max(workers, 1) * TASKS_PER_WORKER))))


def _chunks(todo: Sequence[tuple[int, int, int]], points: Sequence[Mapping[str, Any]],
            size: int, token: str) -> Iterator[_Task]:
    """Pack pairs into tasks of ``size`` pairs, in (point, replicate) order."""
    for start in range(0, len(todo), size):
        chunk = todo[start:start + size]
        yield _Task(f"{token}-{start // size:07d}",
                    [(p, r, s, points[p]) for p, r, s in chunk])


def _one_line(exc: BaseException) -> str:
    """Return an exception as one line: its type and message."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


def run_design(points: Sequence[Mapping[str, Any]], seeds: Sequence[int],
               executor: Executor | str | None = None, store: SweepStore | str | Path = ".",
               chunk_size: int | None = None, progress: bool = True, *,
               task_fn: TaskFn = simulate, params: Sequence[str] | None = None,
               labels: Sequence[Sequence[Any]] | None = None) -> RunReport:
    """Run every (point, seed) pair of a design and store the results.

    Each pair runs ``sim.run(sim.from_dict(point), seed)``. Pairs already in
    the store are skipped; the rest are packed ``chunk_size`` to a task and
    submitted to ``executor``. Failed pairs go to ``failures.json``; the
    aggregate (``runs.parquet`` etc.) is written at the end, also when some
    pairs failed. Ctrl-C cancels what is queued, stops the workers and returns
    with ``interrupted`` set (the store keeps every finished part).

    Example (a notebook)::

        from sweeps import executors
        from sweeps.runner import run_design
        from sweeps.store import SweepStore

        points = [{"steps": 24, "downstream": {"partner_share": s}} for s in (0.2, 0.5, 0.8)]
        report = run_design(points, seeds=[1, 2, 3], executor=executors.local(2),
                            store="multirun/partner_share")
        runs = SweepStore("multirun/partner_share").table("runs").to_pandas()

    Args:
        points: Nested parameter overrides per point; keys left out take
            their defaults (:func:`sim.from_dict`).
        seeds: Seeds run at every point (common random numbers).
        executor: A ``concurrent.futures``-style executor (``submit`` returning
            a :class:`concurrent.futures.Future`), or the name of one of
            :mod:`sweeps.executors` (``"local"``, ``"dask"``, ``"submitit"``;
            created with defaults and shut down at the end). Default: local processes.
        store: The sweep directory or its :class:`SweepStore`; locked for the
            duration of the run.
        chunk_size: Pairs per task (default: :func:`auto_chunk`).
        progress: Show a progress bar (pairs finished, failures, ETA) on stderr.
        task_fn: Function ``(overrides, seed) -> results`` run for each pair
            (default :func:`simulate`); must be importable by the workers.
        params: Column names of the points in the CSV export (see
            :meth:`SweepStore.prepare`).
        labels: Per point, the values of ``params``.

    Returns:
        The report: pairs skipped, done and failed, whether interrupted, the aggregate.

    Raises:
        sweeps.store.StoreLocked: Another sweep is running in the directory.
        sweeps.store.StoreError: The directory holds a different design.
    """
    from sweeps import executors

    began = time.perf_counter()
    store = store if isinstance(store, SweepStore) else SweepStore(store)
    owned = executor is None or isinstance(executor, str)
    if owned:
        executor = executors.make(executor or "local")
    try:
        with store.locked():
            store.prepare(points, seeds, params, labels)
            store.clear_all_started()  # markers left by an interrupted run
            done = store.done_pairs()
            todo = [(p, r, int(s)) for p in range(len(points))
                    for r, s in enumerate(seeds) if (p, int(s)) not in done]
            report = RunReport(total=len(points) * len(seeds),
                               skipped=len(points) * len(seeds) - len(todo))
            if todo:
                workers = int(getattr(executor, "workers", None) or os.cpu_count() or 1)
                size = chunk_size or auto_chunk(len(todo), workers)
                tasks = list(_chunks(todo, points, size, secrets.token_hex(4)))
                _drive(executor, store, tasks, task_fn, report, progress)
                store.clear_all_started()
            report.failures.sort(key=lambda f: (f.point, f.seed))
            if not report.interrupted:
                store.write_failures(report.failures)
                report.aggregate = store.aggregate()
    finally:
        if owned:
            executor.shutdown(wait=True, cancel_futures=True)
    report.seconds = time.perf_counter() - began
    return report


def _drive(executor: Executor, store: SweepStore, tasks: list[_Task], task_fn: TaskFn,
           report: RunReport, progress: bool) -> None:
    """Submit the tasks, collect their reports and recover from a broken local pool."""
    from tqdm import tqdm

    bar = tqdm(total=report.total, initial=report.skipped, unit="run", disable=not progress,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    queue: deque[_Task] = deque(tasks)
    suspects: deque[_Task] = deque()
    inflight: dict[Future, _Task] = {}
    generation = fruitless = 0
    restart = getattr(executor, "restart", None)

    def submit(task: _Task) -> None:
        task.generation = generation
        inflight[executor.submit(run_task, store, task.task_id, task.items, task_fn)] = task

    def fail(task: _Task, error: str) -> None:
        report.failures.extend(Failure(p, s, error) for p, _, s, _ in task.items)
        store.clear_started(task.task_id)

    try:
        while queue or suspects or inflight:
            if suspects and not inflight:
                task = suspects.popleft()
                task.isolated = True
                submit(task)
            elif not suspects:
                while queue:
                    submit(queue.popleft())
            flush = getattr(executor, "flush", None)
            if flush is not None:
                flush()
            finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for future in finished:
                task = inflight.pop(future)
                try:
                    result: TaskReport = future.result()
                except BrokenExecutor as exc:
                    if restart is not None and task.generation == generation:
                        restart()
                        generation += 1
                        fruitless += 1
                    if fruitless > MAX_FRUITLESS_RESTARTS:
                        fail(task, f"worker processes keep dying: {_one_line(exc)}")
                    elif restart is None or task.isolated:
                        fail(task, WORKER_DIED)
                    else:
                        # Tasks that had started when the pool broke are suspects and
                        # rerun alone; the others had not started and go back in the queue.
                        (suspects if store.started(task.task_id) else queue).append(task)
                        store.clear_started(task.task_id)
                        continue
                except Exception as exc:
                    fail(task, f"task failed: {_one_line(exc)}")
                else:
                    fruitless = 0
                    report.done += result.done
                    report.failures.extend(result.failed)
                bar.update(len(task.items))
                if report.failures:
                    bar.set_postfix_str(f"{len(report.failures)} failed", refresh=False)
    except KeyboardInterrupt:
        report.interrupted = True
        for future in inflight:
            future.cancel()
        stop = getattr(executor, "terminate", None)
        if stop is not None:
            stop()
        else:
            executor.shutdown(wait=False, cancel_futures=True)
    finally:
        bar.close()


__all__ = ["RunReport", "TaskReport", "auto_chunk", "run_design", "run_task", "simulate"]

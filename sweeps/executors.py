"""Executors for :func:`sweeps.runner.run_design`: local processes, SLURM (submitit), Dask.

Each is a :class:`concurrent.futures.Executor` (``submit`` returns a
:class:`concurrent.futures.Future`) with a ``workers`` attribute (how many
tasks run at once, used to choose the chunk size) and, where it makes sense,
``terminate()`` (stop now, used on Ctrl-C), ``restart()`` (replace a broken
process pool) and ``flush()`` (send buffered submissions). No scheduling is
done here: the process pool, SLURM and the Dask scheduler do it.

- :func:`local`: a :class:`~concurrent.futures.ProcessPoolExecutor` (spawned
  workers that ignore Ctrl-C; the parent stops them).
- :func:`submitit`: SLURM job arrays through ``submitit.AutoExecutor``; each
  task is one array element, and arrays are split below ``max_array_size``
  (clusters cap array sizes, often at 1,001). ``cluster="local"`` runs the
  jobs as local processes and ``cluster="debug"`` in this process (tests).
- :func:`dask`: a ``dask.distributed`` client's executor, on a
  ``LocalCluster`` by default or on any scheduler address; dask-jobqueue's
  ``SLURMCluster``/``PBSCluster`` give workers on a batch cluster (see
  ``docs/cli.md``).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

#: Names accepted by :func:`make`.
NAMES = ("local", "dask", "submitit")


def _ignore_interrupt() -> None:
    """Make a worker process ignore Ctrl-C: the parent decides what stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor(Executor):
    """Local worker processes (a :class:`ProcessPoolExecutor` that can be restarted and stopped).

    Args:
        workers: Number of processes (default: the number of cores).
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        """Return a fresh pool of spawned workers that ignore Ctrl-C, started now.

        The workers are started while this process ignores SIGINT (from the
        main thread), so they ignore it from their first instruction: a Ctrl-C
        during their start-up cannot print a traceback. The initializer covers
        pools made from other threads.
        """
        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_ignore_interrupt)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            for _ in range(self.workers):  # each submit to a pool without idle workers spawns one
                pool.submit(os.getpid)
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        return pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` in a worker process."""
        return self._pool.submit(fn, *args, **kwargs)

    def restart(self) -> None:
        """Replace a pool broken by a dead worker with a new one."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def terminate(self) -> None:
        """Cancel queued tasks and stop the worker processes now (Ctrl-C)."""
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        # ProcessPoolExecutor gained terminate_workers() only in Python 3.14; before, its
        # process table is the only handle on the workers.
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down (see :meth:`concurrent.futures.Executor.shutdown`)."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def local(workers: int | None = None) -> LocalExecutor:
    """Return a local process executor with ``workers`` processes (default: all cores)."""
    return LocalExecutor(workers)


class SubmititExecutor(Executor):
    """Tasks as elements of SLURM job arrays, through submitit.

    Submissions are buffered; :meth:`flush` (called by the runner after each
    round of submissions) sends them as arrays of at most ``max_array_size``
    jobs. A background thread polls the jobs every ``poll_seconds`` and
    completes the futures.

    Args:
        folder: Folder for submitit's job files and logs (on a shared file system).
        cluster: ``None`` (SLURM if available, else local), ``"slurm"``,
            ``"local"`` or ``"debug"``.
        max_array_size: Most jobs per array (below the cluster's cap).
        workers: Array elements running at once (``slurm_array_parallelism``).
        poll_seconds: Interval between polls of the jobs' states, in seconds.
        parameters: Further ``update_parameters`` arguments, e.g.
            ``timeout_min=60, slurm_partition="cpu", cpus_per_task=1, mem_gb=2``.
    """

    def __init__(self, folder: str | Path, cluster: str | None = None,
                 max_array_size: int = 1000, workers: int = 64, poll_seconds: float = 5.0,
                 **parameters: Any) -> None:
        import submitit

        if max_array_size < 1:
            raise ValueError(f"max_array_size={max_array_size}: must be >= 1")
        self.workers = workers
        self.max_array_size = max_array_size
        self.poll_seconds = poll_seconds
        self._executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
        if self._executor.cluster == "slurm":
            parameters.setdefault("slurm_array_parallelism", workers)
        try:
            self._executor.update_parameters(**parameters)
        except (NameError, ValueError, TypeError) as exc:
            raise ValueError(str(exc).splitlines()[0]) from None
        self._buffer: list[tuple[Future, Callable[..., Any], tuple[Any, ...]]] = []
        self._jobs: list[tuple[Any, Future]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Buffer ``fn(*args)`` as one array element (sent on :meth:`flush`)."""
        if kwargs:
            raise TypeError("SubmititExecutor.submit takes positional arguments only")
        future: Future = Future()
        self._buffer.append((future, fn, args))
        return future

    def flush(self) -> None:
        """Submit the buffered tasks as job arrays of at most ``max_array_size`` elements."""
        buffered, self._buffer = self._buffer, []
        for start in range(0, len(buffered), self.max_array_size):
            group = buffered[start:start + self.max_array_size]
            with self._executor.batch():
                jobs = [self._executor.submit(fn, *args) for _, fn, args in group]
            with self._lock:
                self._jobs += [(job, future) for job, (future, _, _) in
                               zip(jobs, group, strict=True)]
        if self._jobs and (self._poller is None or not self._poller.is_alive()):
            self._poller = threading.Thread(target=self._poll, name="submitit-poll", daemon=True)
            self._poller.start()

    def _poll(self) -> None:
        """Complete the futures of finished jobs until no job is left or shutdown."""
        while not self._stop.is_set():
            with self._lock:
                jobs = list(self._jobs)
            if not jobs:
                return
            finished = set()
            for job, future in jobs:
                if future.cancelled():
                    job.cancel(check=False)
                elif job.done():
                    try:
                        result = job.result()
                    except Exception as exc:
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
                else:
                    continue
                finished.add(id(future))
            with self._lock:
                self._jobs = [entry for entry in self._jobs if id(entry[1]) not in finished]
            self._stop.wait(self.poll_seconds)

    def terminate(self) -> None:
        """Cancel every job that has not finished (Ctrl-C)."""
        self._stop.set()
        with self._lock:
            jobs, self._jobs = self._jobs, []
        for job, future in jobs:
            future.cancel()
            job.cancel(check=False)
        self._buffer = []

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop polling; with ``cancel_futures`` cancel the jobs still queued or running."""
        if cancel_futures:
            self.terminate()
        elif wait and self._poller is not None:
            self._poller.join()
        self._stop.set()


def submitit(folder: str | Path = "submitit_logs", cluster: str | None = None,
             max_array_size: int = 1000, workers: int = 64, poll_seconds: float = 5.0,
             **parameters: Any) -> SubmititExecutor:
    """Return an executor running tasks as SLURM job arrays (see :class:`SubmititExecutor`)."""
    return SubmititExecutor(folder, cluster, max_array_size, workers, poll_seconds,
                            **parameters)


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster, through the client's ``concurrent.futures`` executor.

    Args:
        client: A ``distributed.Client``; when ``None`` a ``LocalCluster`` with
            ``workers`` single-threaded worker processes is started (and closed
            on shutdown).
        workers: Workers of the ``LocalCluster`` (default: the number of cores);
            with a given client, the number of its workers at creation.
        processes: Workers of the ``LocalCluster`` are processes (``False``:
            threads of this process, which start faster; for tests).
    """

    def __init__(self, client: Any = None, workers: int | None = None,
                 processes: bool = True) -> None:
        from distributed import Client, LocalCluster

        self._owned = client is None
        if client is None:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                   threads_per_worker=1, processes=processes,
                                   dashboard_address=None)
            client = Client(cluster)
        self.client = client
        self.workers = workers or max(1, len(client.scheduler_info().get("workers", {})))
        self._executor = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` on a Dask worker."""
        return self._executor.submit(fn, *args, **kwargs)

    def terminate(self) -> None:
        """Cancel the tasks and, when this executor started the cluster, close it (Ctrl-C)."""
        self.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the executor down; close the client (and its cluster) if this object made it."""
        # The client's executor cancels its running tasks when not waiting.
        self._executor.shutdown(wait=wait and not cancel_futures)
        if self._owned:
            cluster = self.client.cluster
            self.client.close()
            if cluster is not None:
                cluster.close()


def dask(client: Any = None, workers: int | None = None, address: str | None = None,
         processes: bool = True) -> DaskExecutor:
    """Return an executor on a Dask cluster.

    Args:
        client: An existing ``distributed.Client`` (e.g. on a dask-jobqueue cluster).
        workers: Workers of the ``LocalCluster`` started when neither ``client``
            nor ``address`` is given.
        address: Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
        processes: Whether a ``LocalCluster``'s workers are processes (else threads).

    Returns:
        The executor.
    """
    if client is None and address is not None:
        from distributed import Client

        client = Client(address)
    return DaskExecutor(client, workers, processes)


def make(name: str, workers: int | None = None, **options: Any) -> Executor:
    """Return an executor by name with its options.

    Args:
        name: ``local``, ``dask`` or ``submitit``.
        workers: Tasks running at once.
        **options: Further arguments of :func:`local`, :func:`dask` or :func:`submitit`.

    Returns:
        The executor.

    Raises:
        ValueError: An unknown name.
    """
    if name == "local":
        return local(workers, **options)
    if name == "dask":
        return dask(workers=workers, **options)
    if name == "submitit":
        return submitit(workers=workers or 64, **options)
    raise ValueError(f"executor={name!r}: allowed: {', '.join(NAMES)}")


__all__ = ["NAMES", "DaskExecutor", "LocalExecutor", "SubmititExecutor", "dask", "local",
           "make", "submitit"]

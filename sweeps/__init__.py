"""Running many simulations: one runner, its executors and the store of its results.

- :mod:`sweeps.store`: the file contract of a sweep directory (names, schemas,
  Parquet parts, manifest, lock, failures, aggregate, CSV export).
- :mod:`sweeps.ingest`: a Hydra multirun's job folders, checked, into the same
  Parquet aggregate.
- :mod:`sweeps.runner`: :func:`~sweeps.runner.run_design`, which runs every
  (point, seed) pair of a design through any ``concurrent.futures``-style executor.
- :mod:`sweeps.executors`: local processes, SLURM (submitit) and Dask.

Nothing here imports ``race_cli`` or ``analysis``.
"""

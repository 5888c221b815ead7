"""Command-line front end of the race model: the ``race-sim`` Hydra app and sweep tooling.

Modules: :mod:`race_cli.schema` (Hydra structured configs mirrored from
:mod:`sim.params`), :mod:`race_cli.main` (the ``race-sim`` entry point),
:mod:`race_cli.outputs` (the files a run or a job writes),
:mod:`race_cli.sweep` (sweep records, resuming and the multirun callback) and
:mod:`race_cli.design` (``race-sim-sweep``: sampling designs expanded into a
Hydra multirun). Nothing here is imported by :mod:`sim`.
"""

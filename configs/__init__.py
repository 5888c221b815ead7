"""Hydra configuration of ``race-sim``, shipped as package data.

``config.yaml`` is the primary config; one sub-folder per config group
(``scenario``, ``partnership``, ``downstream``, ``governance``, ``talent``)
and the project's launcher choices under ``hydra/launcher``. This file makes
the folder an importable package so that Hydra finds it from any working
directory (``config_path="../configs"`` in :mod:`race_cli.main`).
"""

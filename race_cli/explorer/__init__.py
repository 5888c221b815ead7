"""``race-explore``: a live explorer of the race model in the browser (Solara).

The model-running and settings code lives in :mod:`race_cli.explorer.state` (plain
functions, testable without a browser), the figures in :mod:`race_cli.explorer.plots`,
the thin Solara layer in :mod:`race_cli.explorer.app` and the command line in
:mod:`race_cli.explorer.cli`. See ``docs/explorer.md``.
"""

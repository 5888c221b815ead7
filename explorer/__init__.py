"""``race-explore``: a live explorer of the race model in the browser (Solara).

The model-running and settings code lives in :mod:`explorer.state` (plain
functions, testable without a browser), the figures in :mod:`explorer.plots`,
the thin Solara layer in :mod:`explorer.app` and the command line in
:mod:`explorer.cli`. See ``docs/explorer.md``.
"""

"""``race-explore``: start the explorer's web server (Solara) on this machine.

The server binds to 127.0.0.1 (this machine only) unless ``--host`` says
otherwise. It serves Solara's front end from the ``solara-assets`` package, so
it works without internet access, and turns off Solara's usage telemetry and
version check.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from race_cli.explorer.state import DEFAULT_HORIZON_MONTHS

#: Hosts that only this machine can reach.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

#: Python path of the page component.
APP = "race_cli.explorer.app:Page"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of ``race-explore``."""
    parser = argparse.ArgumentParser(
        prog="race-explore",
        description="Start the live explorer of the race model: move levers in a browser and "
                    "see the run against a baseline with the same seeds (docs/explorer.md).")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="other model parameters for current and baseline settings, as "
                             "for race-sim, e.g. scenario.n_researchers=2000")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: only this machine can "
                             "connect; any other address exposes the explorer, which runs "
                             "simulations for whoever connects, to the network)")
    parser.add_argument("--port", type=int, default=8765,
                        help="port to listen on (default 8765; 0 picks a free port)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for several runs at once (default: CPUs "
                             "available, at most 2; 1 runs everything in the server)")
    parser.add_argument("--horizon", type=int, default=None, metavar="MONTHS",
                        help="horizon the explorer starts with, in months (default "
                             f"{DEFAULT_HORIZON_MONTHS}; the slider changes it)")
    parser.add_argument("--open", action="store_true",
                        help="open the explorer in the default web browser")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port={args.port}: must be in [0, 65535]")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers={args.workers}: must be >= 1")
    from race_cli.explorer.state import initial_settings, parse_overrides
    from sim.params import ParamError

    try:
        initial_settings(args.horizon)
    except ParamError as exc:
        parser.error(f"--horizon: {exc}")
    try:
        initial_settings(args.horizon, parse_overrides(" ".join(args.overrides)))
    except ParamError as exc:
        parser.error(str(exc))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``race-explore``.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Exit status of the server.
    """
    args = parse_args(argv)
    if args.host not in LOCAL_HOSTS:
        print(f"warning: --host={args.host} lets other machines reach the explorer and run "
              "simulations on this one; use it only on a trusted network", file=sys.stderr)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    if args.workers is not None:
        os.environ["RACE_EXPLORE_WORKERS"] = str(args.workers)
    if args.horizon is not None:
        os.environ["RACE_EXPLORE_HORIZON"] = str(args.horizon)
    os.environ["RACE_EXPLORE_OVERRIDES"] = " ".join(args.overrides)
    # Solara warns on every page load over plain http that it cannot set a
    # cross-site cookie; the explorer is not embedded in other sites.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    from solara.__main__ import cli

    solara_args = ["run", APP, "--host", args.host, "--port", str(args.port), "--production",
                   "--no-check-version", "--open" if args.open else "--no-open",
                   "--theme-loader", "plain",
                   "--log-level", "warning", "--no-access-log"]
    try:
        cli.main(args=solara_args, prog_name="race-explore", standalone_mode=False)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``race-sim``: run the race model from a Hydra config, one run or one job of a multirun.

Usage (see ``docs/cli.md``)::

    race-sim                                  # default scenario, 120 months, default seed
    race-sim steps=24 seed=7 scenario=small   # any config key on the command line
    race-sim replicates=10                    # ten seeds seed, seed+1, ... in one job
    race-sim -m downstream.partner_share=0,0.5,1 replicates=5 hydra/launcher=parallel

The composed config is converted once, here, to validated
:class:`sim.params.SimParams`; bad values exit with status 2 and an
``error: <key>=<value>: <what is allowed>`` message before anything is
simulated. Mesa, matplotlib and pandas are imported only when a run starts,
so ``race-sim --help`` stays fast.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from race_cli import schema
from sim.params import ParamError

if TYPE_CHECKING:
    from sim.params import SimParams
    from sim.results import Results

log = logging.getLogger(__name__)


def simulate_seeds(params: SimParams, seeds: list[int]) -> tuple[list[Results], list[float]]:
    """Run the model once per seed.

    Args:
        params: Validated parameters.
        seeds: Root seeds, in replicate order.

    Returns:
        The results per seed and the wall time of each run, in seconds.
    """
    import sim

    runs, seconds = [], []
    for seed in seeds:
        start = time.perf_counter()
        runs.append(sim.run(params, seed))
        seconds.append(time.perf_counter() - start)
    return runs, seconds


def _provenance(cfg: DictConfig, seeds: list[int]) -> dict[str, Any]:
    """Return the provenance record of the current Hydra job."""
    from race_cli.outputs import provenance

    hydra_cfg = HydraConfig.get()
    return provenance(
        seeds,
        OmegaConf.to_container(cfg, resolve=True),
        list(hydra_cfg.overrides.task),
        OmegaConf.to_container(hydra_cfg.runtime.choices, resolve=True),
    )


def execute(cfg: DictConfig, out_dir: Path, params: SimParams, seeds: list[int],
            compact: bool) -> list[Results]:
    """Simulate every seed and write the run's or the job's files into ``out_dir``.

    Args:
        cfg: The job's config (for provenance).
        out_dir: Output directory of the run or job.
        params: Validated parameters.
        seeds: Seeds to run.
        compact: Write the job format (per-seed tables and ``done.json``)
            instead of the single-run files.

    Returns:
        The results per seed.
    """
    from race_cli import outputs

    runs, seconds = simulate_seeds(params, seeds)
    prov = _provenance(cfg, seeds)
    if compact:
        outputs.write_job(out_dir, runs, seconds, prov)
    else:
        outputs.write_single_run(out_dir, runs[0], prov)
    return runs


def run_job(cfg: DictConfig, out_dir: Path) -> dict[str, Any]:
    """Run one job of a multirun; never raises for a failure of the job itself.

    A job whose ``done.json`` exists is skipped (resuming a sweep). A job that
    raises records ``error.json`` and returns a failed status, so that the
    other jobs of the sweep still run and the sweep can report every failure
    at the end (:class:`race_cli.sweep.SweepCallback`).

    Args:
        cfg: The job's config.
        out_dir: The job's output directory.

    Returns:
        ``{"status": "done" | "skipped" | "failed", ...}``.
    """
    from race_cli import outputs

    if (out_dir / outputs.DONE_JSON).is_file():
        log.info("job %s: finished in an earlier run of this sweep, skipped", out_dir.name)
        return {"status": "skipped"}
    try:
        import sim

        params, cli = schema.to_params(cfg)
        seeds = sim.replicate_seeds(params.seed, cli["replicates"])
        execute(cfg, out_dir, params, seeds, compact=True)
    except Exception as exc:
        outputs.write_error(out_dir, exc, traceback.format_exc())
        log.error("job %s failed: %s: %s", out_dir.name, type(exc).__name__, exc)
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    return {"status": "done", "seeds": seeds}


def run_single(cfg: DictConfig, out_dir: Path) -> None:
    """Run ``race-sim`` outside a multirun: validate, simulate, write files, print the table.

    Exits with status 2 and an ``error:`` message on stderr when a parameter
    is invalid, before simulating and before writing any result file.

    Args:
        cfg: The composed config.
        out_dir: The run's output directory.
    """
    import sim

    try:
        params, cli = schema.to_params(cfg)
        seeds = sim.replicate_seeds(params.seed, cli["replicates"])
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    from race_cli.outputs import headline_table

    runs = execute(cfg, out_dir, params, seeds, compact=len(seeds) > 1)
    print(headline_table(runs))
    print(f"Outputs: {out_dir}")


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def app(cfg: DictConfig) -> dict[str, Any] | None:
    """Hydra task function: one run (``race-sim``) or one job (``race-sim -m``).

    Args:
        cfg: The composed config of the run or job.

    Returns:
        The job status in a multirun (read by the sweep callback), else ``None``.
    """
    logging.getLogger("MESA").setLevel(logging.WARNING)
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return run_job(cfg, out_dir)
    run_single(cfg, out_dir)
    return None


def main() -> None:
    """Console entry point of ``race-sim``: check override keys, register the schema, run Hydra.

    An unknown key on the command line exits with status 2 and an ``error:``
    message listing the allowed keys, before Hydra composes the config.
    """
    problem = schema.check_override_keys(sys.argv[1:])
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    schema.register()
    app()


if __name__ == "__main__":
    main()

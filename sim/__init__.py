"""Agent-based model of AI-industry race dynamics (the library; no Hydra, no plotting).

Public API: :func:`run` (parameters and seed to :class:`Results`),
:func:`replicate_seeds`, and the parameter dataclasses in :mod:`sim.params`.
Heavy imports (Mesa, the model) happen on first use of :func:`run`, so that
importing the parameters stays fast.
"""

from sim.params import ParamError, SimParams, from_dict
from sim.results import FLOW_KINDS, SUMMARY_METRICS, TIMESERIES_METRICS, Results


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Return the seeds of ``replicates`` runs derived from a root ``seed``.

    Replicate ``i`` uses ``seed + i``: the same list at every parameter point
    (common random numbers), and replicate 0 is the single run with ``seed``.
    Each seed is expanded by ``numpy.random.SeedSequence`` inside the model, so
    neighbouring integers give independent streams.

    Args:
        seed: Root seed (non-negative integer).
        replicates: Number of seeds (>= 1).

    Returns:
        The list of seeds.
    """
    if replicates < 1:
        raise ParamError(f"replicates={replicates!r}: must be >= 1")
    return [seed + i for i in range(replicates)]


def run(params: SimParams, seed: int | None = None) -> Results:
    """Simulate one run and return its results.

    Args:
        params: Validated parameters (see :func:`sim.params.from_dict`).
        seed: Root seed; ``None`` uses ``params.seed``.

    Returns:
        Time series, summary, flows and per-lab trajectories of the run.
    """
    from sim.model import simulate

    return simulate(params, params.seed if seed is None else seed)


__all__ = [
    "FLOW_KINDS", "SUMMARY_METRICS", "TIMESERIES_METRICS", "ParamError", "Results",
    "SimParams", "from_dict", "replicate_seeds", "run",
]

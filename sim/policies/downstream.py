"""Downstream policies: how startups choose their model access mode.

``share``: a configured share partners with a lab/hyperscaler (the sweep
lever); of the others, ``api_share`` buy a lab's API and the rest use open
models. ``profit``: each startup picks the mode with the highest expected
profit plus Gumbel noise (logit choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.orgs import API, OPEN, PARTNER
from sim.params import SimParams
from sim.policies.registry import DOWNSTREAM


@dataclass(frozen=True)
class DownstreamInputs:
    """What a startup's access-mode choice depends on.

    Attributes:
        params: The run's parameters.
        frontier_oom: Frontier capability (OOM).
        early_access_lead_oom: Quality lead that partnership gives (OOM).
    """

    params: SimParams
    frontier_oom: float
    early_access_lead_oom: float


@DOWNSTREAM.register("share")
def by_share(n: int, inputs: DownstreamInputs, rng: np.random.Generator) -> np.ndarray:
    """Draw access modes: partner with probability ``partner_share``, else API or open.

    Args:
        n: Number of deciding startups.
        inputs: Parameters (``downstream.partner_share``, ``downstream.api_share``).
        rng: Generator of the downstream component.

    Returns:
        Access mode per startup.
    """
    d = inputs.params.downstream
    partner = rng.random(n) < d.partner_share
    modes = np.where(rng.random(n) < d.api_share, API, OPEN)
    modes[partner] = PARTNER
    return modes


@DOWNSTREAM.register("profit")
def by_profit(n: int, inputs: DownstreamInputs, rng: np.random.Generator) -> np.ndarray:
    """Choose the access mode with the highest expected profit (logit with Gumbel noise).

    Expected log-profit of a mode is ``beta q_mode + log(1 - fee + cross_selling)``
    where ``q_mode`` is the model quality the mode gives (open models lag the
    frontier; partners get early access) and ``fee`` what is paid to the lab.

    Args:
        n: Number of deciding startups.
        inputs: Parameters, frontier capability and the early-access lead.
        rng: Generator of the downstream component.

    Returns:
        Access mode per startup.
    """
    d, c = inputs.params.downstream, inputs.params.capital
    front = inputs.frontier_oom
    quality = np.array([front - c.open_model_lag_oom, front,
                        front + inputs.early_access_lead_oom])
    cross = d.cross_selling_share * (1.0 - d.hyperscaler_cut)
    net = np.array([1.0, 1.0 - c.api_fee_share, 1.0 - d.partner_revenue_share + cross])
    score = c.startup_logit_per_oom * quality + np.log(np.maximum(net, 1e-9))
    noise = rng.gumbel(size=(n, 3))
    return np.argmax(score[None, :] + noise, axis=1).astype(np.int64)

"""Safety-share policies of labs: expected value (default), the heuristic, the ABS race.

Each policy maps :class:`SafetyInputs` (what labs decide on) and the safety
parameters to target safety shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.markets.race import best_response_safety, expected_value_safety, heuristic_safety
from sim.params import SafetyParams
from sim.policies.registry import SAFETY


@dataclass(frozen=True)
class SafetyInputs:
    """Per-lab values the safety decision depends on (arrays in lab order).

    Attributes:
        capability: Capability (OOM) at the start of the phase.
        safety: Current safety shares (rivals' strategies for best responses).
        pressure: Race pressure.
        floor: Regulatory safety floor.
        s_base: Base safety orientation (heuristic).
        enmity: Enmity toward rivals (best response).
        speed_value_usd: Revenue a capability OOM brings per month (USD/OOM/month).
        hazard_at_zero: Incident hazard at zero safety (1/month).
        loss_usd: Expected loss per incident (USD).
        gamma: Exponent of ``1 - s`` in the hazard.
    """

    capability: np.ndarray
    safety: np.ndarray
    pressure: np.ndarray
    floor: np.ndarray
    s_base: np.ndarray
    enmity: np.ndarray
    speed_value_usd: np.ndarray
    hazard_at_zero: np.ndarray
    loss_usd: np.ndarray
    gamma: float


@SAFETY.register("expected_value")
def expected_value(x: SafetyInputs, sp: SafetyParams) -> np.ndarray:
    """Target safety maximising speed value minus expected incident losses.

    The value of speed is raised by race pressure, ``M (1 + w pressure)``
    (:func:`sim.markets.race.expected_value_safety` gives the optimum).

    Args:
        x: The labs' inputs.
        sp: Safety parameters (``value_pressure_weight``).

    Returns:
        Target safety share per lab.
    """
    value = x.speed_value_usd * (1.0 + sp.value_pressure_weight * x.pressure)
    return expected_value_safety(value, x.hazard_at_zero, x.loss_usd, x.gamma, x.floor)


@SAFETY.register("heuristic")
def heuristic(x: SafetyInputs, sp: SafetyParams) -> np.ndarray:
    """Target safety ``clip(s_base (1 - k pressure), s_floor, 1)`` (model-spec).

    Args:
        x: The labs' inputs.
        sp: Safety parameters (``k_pressure``).

    Returns:
        Target safety share per lab.
    """
    return heuristic_safety(x.s_base, x.pressure, sp.k_pressure, x.floor)


@SAFETY.register("best_response")
def best_response(x: SafetyInputs, sp: SafetyParams) -> np.ndarray:
    """Target safety: each lab's best response in the Armstrong et al. (2016) race.

    Each lab maximises its expected payoff given rivals' current safety; with
    ``br_information = "none"`` capability differences are unknown (the
    paper's no-information case), with ``"public"`` the known capability gap
    (scaled by ``br_capability_scale``) shifts the win probabilities.

    Args:
        x: The labs' inputs.
        sp: Safety parameters (``br_*``).

    Returns:
        Target safety share per lab.
    """
    grid = np.linspace(0.0, 1.0, sp.br_grid)
    n = x.capability.size
    out = np.empty(n)
    for i in range(n):
        rivals = np.arange(n) != i
        if sp.br_information == "none":
            offset = np.zeros(int(rivals.sum()))
        else:
            offset = sp.br_capability_scale * (x.capability[i] - x.capability[rivals])
        out[i] = best_response_safety(x.safety[rivals], offset, x.enmity[i], sp.br_mu,
                                      sp.br_safety_cost, grid)
    return np.maximum(out, x.floor)

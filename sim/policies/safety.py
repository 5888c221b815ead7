"""Safety-share policies of labs: the model-spec heuristic and the ABS best response."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.markets.race import best_response_safety, heuristic_safety
from sim.policies import SAFETY

if TYPE_CHECKING:
    from sim.model import RaceModel


@SAFETY.register("heuristic")
def heuristic(model: RaceModel, capability: np.ndarray, safety: np.ndarray,
              pressure: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Target safety ``clip(s_base (1 - k pressure), s_floor, 1)`` (model-spec).

    Args:
        model: The model (parameters and labs).
        capability: Labs' capability (OOM), decided on at the start of the phase.
        safety: Labs' current safety shares.
        pressure: Labs' race pressure.
        floor: Regulatory safety floor per lab.

    Returns:
        Target safety share per lab.
    """
    s_base = np.array([lab.s_base for lab in model.labs])
    return heuristic_safety(s_base, pressure, model.p.safety.k_pressure, floor)


@SAFETY.register("best_response")
def best_response(model: RaceModel, capability: np.ndarray, safety: np.ndarray,
                  pressure: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Target safety: each lab's best response in the Armstrong et al. (2016) race.

    Each lab maximises its expected payoff given rivals' current safety; with
    ``br_information = "none"`` capability differences are unknown (the
    paper's no-information case), with ``"public"`` the known capability gap
    (scaled by ``br_capability_scale``) shifts the win probabilities.

    Args:
        model: The model (parameters and labs).
        capability: Labs' capability (OOM).
        safety: Labs' current safety shares (rivals' strategies).
        pressure: Unused by this policy (kept for a common signature).
        floor: Regulatory safety floor per lab.

    Returns:
        Target safety share per lab.
    """
    sp = model.p.safety
    grid = model.safety_grid
    out = np.empty_like(safety)
    for i, lab in enumerate(model.labs):
        rivals = np.arange(len(model.labs)) != i
        if sp.br_information == "none":
            offset = np.zeros(int(rivals.sum()))
        else:
            offset = sp.br_capability_scale * (capability[i] - capability[rivals])
        out[i] = best_response_safety(safety[rivals], offset, lab.enmity, sp.br_mu,
                                      sp.br_safety_cost, grid)
    return np.maximum(out, floor)

"""Race pressure, safety share and openness of labs.

Implements the model-spec forms: ``s = clip(s_base (1 - k pressure), s_floor, 1)``,
``o = o_base exp(-k_o (pressure + commercial))`` and the stylised race of
Armstrong, Bostrom & Shulman (2016, "Racing to the precipice", AI & Society
31(2)): team i has capability ``c_i`` uniform on ``[0, mu]`` (plus a known
offset), wins if its score ``c_i - kappa s_i`` is highest, and the winner's AI
is safe with probability ``s_winner``. A team values its own safe win at 1, a
rival's safe win at ``1 - e`` (enmity ``e``) and a disaster at 0. With no
information and equal offsets the symmetric equilibrium is
``s* = min(1, mu / (n e))``.
"""

from __future__ import annotations

import numpy as np

#: ``ln 10`` as numpy computes it (``np.log(10.0)``), the factor of the hazard's capability term.
_LN10 = np.log(10.0)


def nearest_rival_gap(capability: np.ndarray) -> np.ndarray:
    """Absolute capability gap (OOM) to the nearest rival; ``inf`` for a lone lab."""
    n = capability.size
    if n < 2:
        return np.full(n, np.inf)
    diff = np.abs(capability[:, None] - capability[None, :])
    diff.flat[:: n + 1] = np.inf
    return diff.min(axis=1)


def race_pressure(
    capability: np.ndarray,
    enmity: np.ndarray,
    investor: np.ndarray,
    lead_window_oom: float,
    gap_scale_oom: float,
    w_gap: float,
    w_contenders: float,
    w_enmity: float,
    w_investor: float,
) -> np.ndarray:
    """Race pressure of each lab (dimensionless, >= 0).

    ``pressure = w_gap exp(-gap/scale) + w_c (contenders - 1)/(n - 1) + w_e e + w_i investor``
    where ``gap`` is the distance to the nearest rival and ``contenders`` the
    number of labs within ``lead_window_oom`` of the frontier.

    Args:
        capability: Capability ``C`` per lab (OOM).
        enmity: Enmity ``e`` per lab in [0, 1].
        investor: Investor pressure per lab in [0, 1] (partner equity, commercial dependence).
        lead_window_oom: Window defining contenders.
        gap_scale_oom: Gap at which the closeness term falls to 1/e.
        w_gap: Weight of closeness to the nearest rival.
        w_contenders: Weight of the number of contenders.
        w_enmity: Weight of enmity.
        w_investor: Weight of investor pressure.

    Returns:
        Pressure per lab.
    """
    n = capability.size
    gap = nearest_rival_gap(capability)
    close = np.exp(-gap / gap_scale_oom)
    if n > 1:
        contenders = np.count_nonzero(capability >= capability.max() - lead_window_oom)
        crowd = (contenders - 1) / (n - 1)
    else:
        crowd = 0.0
    return w_gap * close + w_contenders * crowd + w_enmity * enmity + w_investor * investor


def heuristic_safety(
    s_base: np.ndarray, pressure: np.ndarray, k: float, s_floor: np.ndarray
) -> np.ndarray:
    """Safety share ``clip(s_base (1 - k pressure), s_floor, 1)`` (model-spec)."""
    return np.clip(s_base * (1.0 - k * pressure), s_floor, 1.0)


def openness(
    o_base: np.ndarray, pressure: np.ndarray, commercial: np.ndarray, k_o: float,
    k_commercial: float,
) -> np.ndarray:
    """Openness ``o_base exp(-k_o (pressure + k_commercial commercial))`` in [0, 1]."""
    return np.clip(o_base * np.exp(-k_o * (pressure + k_commercial * commercial)), 0.0, 1.0)


def win_probability(
    s_grid: np.ndarray, rival_s: np.ndarray, offset: np.ndarray, mu: float, kappa: float,
    n_quad: int = 400,
) -> np.ndarray:
    """Probability that a team wins the race for each safety level on a grid.

    Team scores are ``offset_i + c_i - kappa s_i`` with ``c_i ~ U[0, mu]``
    independent. ``P(win | s) = E_c[prod_j F(c + d_j - kappa (s - s_j))]``
    with ``d_j = offset_own - offset_j`` and ``F`` the uniform CDF, computed by
    midpoint quadrature over the team's own ``c``.

    Args:
        s_grid: Candidate safety levels of the team, shape ``(G,)``.
        rival_s: Rivals' safety levels, shape ``(R,)``.
        offset: Own offset minus each rival's offset, shape ``(R,)`` (0 = no information).
        mu: Width of the capability distribution.
        kappa: Capability cost of full safety.
        n_quad: Quadrature points over the team's own capability.

    Returns:
        Win probabilities, shape ``(G,)``.
    """
    if rival_s.size == 0:
        return np.ones_like(s_grid)
    c = (np.arange(n_quad) + 0.5) / n_quad * mu
    margin = (c[None, :, None] + offset[None, None, :]
              - kappa * (s_grid[:, None, None] - rival_s[None, None, :]))
    cdf = np.clip(margin / mu, 0.0, 1.0)
    return cdf.prod(axis=2).mean(axis=1)


def best_response_safety(
    rival_s: np.ndarray, offset: np.ndarray, enmity: float, mu: float, kappa: float,
    s_grid: np.ndarray,
) -> float:
    """Safety level maximising expected payoff in the Armstrong et al. (2016) race.

    ``U(s) = P(s) s + sum_j P_j(s) s_j (1 - e)``; for rivals we use the exact
    symmetric split of the remaining win probability weighted by rivals'
    safety: ``U(s) = P(s) s + (1 - P(s)) (1 - e) mean_j(s_j)``, exact when
    rivals play the same ``s`` (the equilibrium case the paper solves).

    Args:
        rival_s: Rivals' current safety levels.
        offset: Own capability offset minus each rival's (0 = no information).
        enmity: Enmity ``e`` in [0, 1].
        mu: Width of the capability distribution.
        kappa: Capability cost of full safety.
        s_grid: Candidate safety levels (sorted, within [0, 1]).

    Returns:
        The maximising safety level (the smallest one among ties).
    """
    p_win = win_probability(s_grid, rival_s, offset, mu, kappa)
    rival_safe = float(rival_s.mean()) if rival_s.size else 0.0
    payoff = p_win * s_grid + (1.0 - p_win) * (1.0 - enmity) * rival_safe
    return float(s_grid[int(np.argmax(payoff))])


def hazard(
    capability: np.ndarray, safety: np.ndarray | None, h0: float, eta: float, c_ref: float,
    gamma: float,
) -> np.ndarray:
    """Monthly incident hazard ``h0 10^(eta (C - C_ref)) (1 - s)^gamma``, capped at 1.

    Computed in logs so that any capability gives a finite hazard. ``safety``
    None stands for zero safety (the factor ``(1 - s)^gamma`` is 1).
    """
    log_h = np.log(max(h0, 1e-300)) + _LN10 * eta * (capability - c_ref)
    if safety is not None and gamma > 0:
        with np.errstate(divide="ignore"):
            log_h = log_h + gamma * np.log(np.maximum(1.0 - safety, 0.0))
    return np.exp(np.minimum(log_h, 0.0)) * (h0 > 0)


def capped_severity_mean(alpha: float, cap: float) -> float:
    """``E[min(X, cap)]`` for a Pareto severity ``X`` with scale 1 and tail index ``alpha``.

    ``(alpha - cap^(1 - alpha)) / (alpha - 1)``, and ``1 + ln(cap)`` at ``alpha = 1``.

    Args:
        alpha: Tail index (> 0).
        cap: Severity beyond which losses stop growing (>= 1).

    Returns:
        The capped mean severity (>= 1).
    """
    cap = max(cap, 1.0)
    if abs(alpha - 1.0) < 1e-9:
        return 1.0 + float(np.log(cap))
    return float((alpha - cap ** (1.0 - alpha)) / (alpha - 1.0))


def expected_value_safety(
    speed_value_usd: np.ndarray, hazard_at_zero: np.ndarray, loss_usd: np.ndarray,
    gamma: float, floor: np.ndarray,
) -> np.ndarray:
    """Safety share maximising the value of speed minus expected incident losses.

    A lab's monthly objective is ``M log10(1 - s) - K (1 - s)^gamma``: safety
    ``s`` lowers effective training compute by ``log10(1 - s)`` OOM, which costs
    ``M`` USD per OOM (the revenue a capability lead brings, raised by race
    pressure), and lowers the incident hazard ``h(s) = h(0) (1 - s)^gamma``,
    each incident costing ``L`` in expectation (``K = h(0) L``). The optimum is
    ``1 - s* = (M / (gamma K ln 10))^(1/gamma)``, clipped to ``[floor, 1]``.

    Args:
        speed_value_usd: ``M`` per lab (USD per OOM per month, >= 0).
        hazard_at_zero: ``h(0)`` per lab (incidents per month at ``s = 0``).
        loss_usd: Expected loss per incident ``L`` per lab (USD, >= 0).
        gamma: Exponent of safety in the hazard (> 0 for an interior optimum).
        floor: Regulatory floor per lab.

    Returns:
        Safety share per lab in [floor, 1]; labs with nothing to lose choose the
        floor, labs with nothing to gain choose 1.
    """
    m = np.maximum(np.asarray(speed_value_usd, dtype=float), 0.0)
    k = np.maximum(np.asarray(hazard_at_zero, dtype=float) * loss_usd, 0.0)
    if gamma <= 0:
        return np.where(m > 0, floor, 1.0).astype(float)
    with np.errstate(over="ignore"):
        ratio = np.divide(m, gamma * k * _LN10, out=np.full(m.shape, np.inf),
                          where=k > 0)
        slack = np.where(m > 0, ratio ** (1.0 / gamma), 0.0)
    return np.clip(1.0 - slack, floor, 1.0)


def incident_severity(n: int, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` incident severities from a Pareto law with scale 1 and tail ``alpha``.

    Args:
        n: Number of draws.
        alpha: Tail index (> 0).
        rng: Generator of the incidents component.

    Returns:
        Severities (>= 1).
    """
    return (1.0 - rng.random(n)) ** (-1.0 / alpha)

"""Talent market: candidate sampling, logit choice and skill-ranked hiring.

Pure, vectorised functions (model-spec "Talent market"). A searcher considers
its current employer plus ``J`` candidates drawn in proportion to posted
vacancies (inverse-CDF sampling with a guide table,
:func:`sim.markets.sampling.search_cdf`); it picks the candidate with the
highest utility plus Gumbel noise (Gumbel-max = multinomial logit, McFadden
1974); employers accept applicants in decreasing order of skill up to their
vacancies.
"""

from __future__ import annotations

import numpy as np

from sim.markets.sampling import search_cdf


def sample_candidates(
    vacancies: np.ndarray, n_searchers: int, n_candidates: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw candidate employers for each searcher in proportion to vacancies.

    Args:
        vacancies: Open positions per employer, shape ``(K,)`` (>= 0).
        n_searchers: Number of searchers ``M``.
        n_candidates: Candidates per searcher ``J`` (drawn with replacement).
        rng: Generator of the talent market.

    Returns:
        Employer indices, shape ``(M, J)``; all -1 when no employer has a vacancy.
    """
    weights = np.asarray(vacancies, dtype=float)
    total = weights.sum()
    if n_searchers == 0 or total <= 0:
        return np.full((n_searchers, n_candidates), -1, dtype=np.int64)
    cdf = np.cumsum(weights)
    draws = rng.random((n_searchers, n_candidates)) * total
    return search_cdf(cdf, draws)


def choose_employer(
    utility: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pick one option per row by Gumbel-max over utilities.

    Args:
        utility: Utilities, shape ``(M, J+1)``; ``-inf`` marks unavailable options.
        rng: Generator of the talent market.

    Returns:
        Column index of the chosen option per row, shape ``(M,)``, and the
        random utilities (utility plus the Gumbel draw), shape ``(M, J+1)``.
    """
    if utility.size == 0:
        return np.zeros(utility.shape[0], dtype=np.int64), utility.copy()
    noisy = utility + rng.gumbel(size=utility.shape)
    return np.argmax(noisy, axis=1), noisy


def retained(noisy_utility: np.ndarray, pick: np.ndarray, eligible: np.ndarray,
             raise_gain: float) -> np.ndarray:
    """Who stays when the current employer (column 0) counters with a raise.

    A researcher offered a raise worth ``raise_gain`` utils stays when the
    random utility of staying plus the gain is at least that of the chosen
    option (the same draws that made the choice).

    Args:
        noisy_utility: Random utilities, shape ``(M, J+1)``, column 0 the current employer.
        pick: Chosen column per row.
        eligible: Rows that receive a counter-offer.
        raise_gain: Utility of the raise, ``b_wage * log(1 + raise)``.

    Returns:
        Boolean mask of the rows that stay.
    """
    chosen = noisy_utility[np.arange(pick.size), pick]
    return eligible & (noisy_utility[:, 0] + raise_gain >= chosen)


def accept_applicants(
    choice: np.ndarray, skill: np.ndarray, vacancies: np.ndarray
) -> np.ndarray:
    """Accept applicants by decreasing skill up to each employer's vacancies.

    Args:
        choice: Employer applied to per searcher, shape ``(M,)``; -1 = no application.
        skill: Skill of each searcher, shape ``(M,)``.
        vacancies: Whole number of positions per employer, shape ``(K,)``.

    Returns:
        Boolean mask of accepted searchers, shape ``(M,)``.
    """
    accepted = np.zeros(choice.shape[0], dtype=bool)
    applied = np.flatnonzero(choice >= 0)
    if applied.size == 0:
        return accepted
    emp = choice[applied]
    cap = np.floor(vacancies)
    # Ranks only matter at employers with more applicants than places, and some places:
    # elsewhere every applicant's rank is below the cap, or none is.
    everyone = np.bincount(emp, minlength=cap.size) - 1 < cap
    accepted[applied] = everyone[emp]
    contested = applied[(~everyone & (cap > 0))[emp]]
    if contested.size:
        order = contested[np.lexsort((-skill[contested], choice[contested]))]
        emp = choice[order]
        # ``emp`` is sorted, so each applicant's rank is its position minus its group's first.
        rank = np.arange(emp.size) - emp.searchsorted(emp)
        accepted[order] = rank < cap[emp]
    return accepted


def search_probability(
    base_rate: float,
    tenure_months: np.ndarray,
    tenure_scale_months: float,
    liquid_wealth_usd: np.ndarray,
    wealth_scale_usd: float,
    mission_fit: np.ndarray,
) -> np.ndarray:
    """Monthly probability that a researcher searches for a job.

    ``p = base * (1 + exp(-tenure/tau)) * (1 + wealth/W) * (2 - fit) / 2``,
    capped at 1: newcomers, the wealthy (after liquidity events) and people
    whose preferences do not fit their employer search more.

    Args:
        base_rate: Base monthly search rate.
        tenure_months: Months at the current employer.
        tenure_scale_months: Decay scale ``tau`` of the low-tenure effect.
        liquid_wealth_usd: Liquid wealth of each researcher.
        wealth_scale_usd: Wealth ``W`` that doubles the search rate.
        mission_fit: Fit with the employer's safety/openness in [0, 1].

    Returns:
        Probabilities in [0, 1].
    """
    p = (base_rate * (1.0 + np.exp(-tenure_months / tenure_scale_months))
         * (1.0 + liquid_wealth_usd / wealth_scale_usd) * (2.0 - mission_fit) / 2.0)
    return np.minimum(p, 1.0)


def search_probability_bound(
    base_rate: float, liquid_wealth_usd: np.ndarray, wealth_scale_usd: float
) -> np.ndarray:
    """Upper bound of :func:`search_probability` that needs only wealth: ``2 base (1 + wealth/W)``.

    The tenure factor is at most 2 and the fit factor at most 1, and rounding
    is monotone, so ``search_probability(...) <= bound`` holds exactly in
    floating point: a uniform draw at or above the bound cannot lead to a
    search, and the exact probability is needed only for draws below it.

    Args:
        base_rate: Base monthly search rate.
        liquid_wealth_usd: Liquid wealth of each researcher.
        wealth_scale_usd: Wealth ``W`` that doubles the search rate.

    Returns:
        Bounds, same shape as ``liquid_wealth_usd`` (may exceed 1).
    """
    return (base_rate * 2.0) * (1.0 + liquid_wealth_usd / wealth_scale_usd)

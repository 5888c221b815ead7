"""DSAIR: the idealised AI development race of Han, Pereira, Santos & Lenaerts (2020).

"To regulate or not: a social dynamics analysis of an idealised AI race",
Journal of Artificial Intelligence Research 69. Developers play always-safe
(AS) or always-unsafe (AU). A race needs ``W`` development rounds when played
safely; unsafe play is ``s`` times faster (``s > 1``) but ends in disaster with
probability ``p_r``. Each round brings a benefit ``b`` shared by the leaders;
safety costs ``c`` per round; the winner takes the prize ``B`` (``B >> b``).
Average payoff per round of the row strategy against the column strategy:

==== =============================== ==================================
 .    AS                              AU
==== =============================== ==================================
 AS   B/(2W) + b/2 - c                b/(s+1) - c
 AU   (1-p_r)(s B/W + s b/(s+1))      (1-p_r)(s B/(2W) + b/2)
==== =============================== ==================================

Strategies spread by social learning in a population of ``Z`` developers:
pairwise comparison with the Fermi rule at selection intensity ``beta``
(Traulsen, Nowak & Pacheco 2006), in the limit of rare mutations where the
population is monomorphic most of the time (Fudenberg & Imhof 2006). For
``B/W >> b, c`` the paper's thresholds are: society prefers safety when
``p_r > 1 - 1/s``; safety is risk-dominant when ``p_r > 1 - 1/(3s)``; between
them lies the dilemma zone where regulation is needed.

This is the limiting case of the race model in which labs are reduced to a
binary safety choice and learn by imitation instead of best-responding.
"""

from __future__ import annotations

import numpy as np

AS, AU = 0, 1


def payoff_matrix(b: float, c: float, prize: float, rounds: float, speed: float,
                  risk: float) -> np.ndarray:
    """Per-round payoffs of AS and AU (rows) against AS and AU (columns).

    Args:
        b: Benefit per round of leading the race (utility per round).
        c: Cost of safety per round.
        prize: Prize ``B`` of winning the race.
        rounds: Rounds ``W`` needed by a safe developer.
        speed: Speed-up ``s`` of unsafe play (> 1).
        risk: Disaster probability ``p_r`` of unsafe play, in [0, 1].

    Returns:
        Array of shape (2, 2) indexed ``[row strategy, column strategy]``.
    """
    q = 1.0 - risk
    return np.array([
        [prize / (2 * rounds) + b / 2 - c, b / (speed + 1) - c],
        [q * (speed * prize / rounds + speed * b / (speed + 1)),
         q * (speed * prize / (2 * rounds) + b / 2)],
    ])


def fixation_probability(payoffs: np.ndarray, mutant: int, resident: int, pop_size: int,
                         beta: float) -> float:
    """Probability that one ``mutant`` takes over a population of ``resident`` players.

    Pairwise comparison with the Fermi rule: ``rho = 1 / (1 + sum_{i=1}^{Z-1}
    prod_{k=1}^{i} exp(-beta (f_M(k) - f_R(k))))`` where ``f_M(k)``, ``f_R(k)``
    are the average payoffs of mutants and residents when ``k`` players are
    mutants (Traulsen et al. 2006). Computed in log space.

    Args:
        payoffs: 2x2 payoff matrix ``[row, column]``.
        mutant: Index of the mutant strategy.
        resident: Index of the resident strategy.
        pop_size: Population size ``Z`` (>= 2).
        beta: Selection intensity (>= 0).

    Returns:
        The fixation probability in [0, 1].
    """
    z = pop_size
    k = np.arange(1, z)
    f_m = ((k - 1) * payoffs[mutant, mutant] + (z - k) * payoffs[mutant, resident]) / (z - 1)
    f_r = (k * payoffs[resident, mutant] + (z - k - 1) * payoffs[resident, resident]) / (z - 1)
    log_terms = np.cumsum(-beta * (f_m - f_r))
    return float(np.exp(-np.logaddexp.reduce(np.r_[0.0, log_terms])))


def unsafe_frequency(b: float, c: float, prize: float, rounds: float, speed: float,
                     risk: float, pop_size: int, beta: float) -> float:
    """Stationary frequency of AU in the small-mutation limit.

    With two strategies the population alternates between the all-AS and
    all-AU states; the stationary weight of all-AU is
    ``rho(AS->AU) / (rho(AS->AU) + rho(AU->AS))`` (Fudenberg & Imhof 2006).

    Args:
        b: Benefit per round.
        c: Cost of safety per round.
        prize: Prize ``B``.
        rounds: Rounds ``W``.
        speed: Speed-up ``s``.
        risk: Disaster probability ``p_r``.
        pop_size: Population size ``Z``.
        beta: Selection intensity.

    Returns:
        Frequency of always-unsafe developers in [0, 1].
    """
    m = payoff_matrix(b, c, prize, rounds, speed, risk)
    to_unsafe = fixation_probability(m, AU, AS, pop_size, beta)
    to_safe = fixation_probability(m, AS, AU, pop_size, beta)
    return to_unsafe / (to_unsafe + to_safe)


def thresholds(speed: float) -> tuple[float, float]:
    """Analytic risk thresholds for ``B/W >> b, c`` (Han et al. 2020).

    Args:
        speed: Speed-up ``s`` of unsafe play.

    Returns:
        ``(society, risk_dominance)``: society prefers safety above ``1 - 1/s``;
        AS is risk-dominant above ``1 - 1/(3 s)``.
    """
    return 1.0 - 1.0 / speed, 1.0 - 1.0 / (3.0 * speed)


def simulate_fixation(payoffs: np.ndarray, mutant: int, resident: int, pop_size: int,
                      beta: float, trials: int, rng: np.random.Generator) -> float:
    """Monte Carlo estimate of a fixation probability (checks the closed form).

    Each update picks a random focal and a random model player; the focal
    copies the model with probability ``1 / (1 + exp(-beta (f_model - f_focal)))``.
    A trial starts with one mutant and ends at fixation or extinction.

    Args:
        payoffs: 2x2 payoff matrix.
        mutant: Mutant strategy index.
        resident: Resident strategy index.
        pop_size: Population size ``Z``.
        beta: Selection intensity.
        trials: Number of independent trials.
        rng: Random generator.

    Returns:
        The share of trials that ended in fixation of the mutant.
    """
    z = pop_size
    mm, mr = payoffs[mutant, mutant], payoffs[mutant, resident]
    rm, rr = payoffs[resident, mutant], payoffs[resident, resident]
    fixed = 0
    for _ in range(trials):
        k = 1
        while 0 < k < z:
            gap = ((k - 1) * mm + (z - k) * mr - k * rm - (z - k - 1) * rr) / (z - 1)
            meet = (k / z) * ((z - k) / (z - 1))
            p_up = meet / (1 + np.exp(-beta * gap))
            p_down = meet / (1 + np.exp(beta * gap))
            u = rng.random()
            if u < p_up:
                k += 1
            elif u < p_up + p_down:
                k -= 1
        fixed += k == z
    return fixed / trials

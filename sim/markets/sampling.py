"""Weighted draws by inverse CDF, without ``Generator.choice``'s per-call checks.

``numpy.random.Generator.choice(a, n, p=w)`` validates ``w`` (several
reductions) on every call; the model calls it every month with weights it has
just built. :func:`categorical` makes the same draws from the same stream
(cumulative sum normalised by its last entry, one uniform per draw, right-sided
search), so results are identical to ``choice``.
"""

from __future__ import annotations

import numpy as np


def categorical(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn with replacement in proportion to ``weights``.

    Args:
        weights: Non-negative weights with a positive sum, shape ``(K,)``; they
            need not sum to 1.
        n: Number of draws.
        rng: Generator to draw from (``n`` uniforms).

    Returns:
        Indices in ``[0, K)``, shape ``(n,)``, int64; the same as
        ``rng.choice(K, n, p=weights / weights.sum())``.
    """
    cdf = np.cumsum(weights / weights.sum())
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(n), side="right")

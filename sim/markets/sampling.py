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


#: Guide-table buckets per distinct CDF value in :func:`search_cdf`.
GUIDE_BUCKETS_PER_VALUE = 8
#: Widest bucket (CDF values in one bucket) :func:`search_cdf` searches itself; wider
#: buckets (clumped CDFs) go to ``numpy.searchsorted``.
GUIDE_MAX_WIDTH = 15


def search_cdf(cdf: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``min(searchsorted(cdf, keys, side="right"), K - 1)`` by a guide table, branch-free.

    ``numpy.searchsorted`` of random keys mispredicts a branch at most steps of
    every binary search. Here a key ``x`` goes to bucket ``f(x) = int(clip(x s,
    0, B))`` of ``B`` buckets; only the few CDF values in its bucket are searched,
    by a branch-free binary search over the whole array of keys at once.

    Exact for every input the reference is defined on (``cdf`` sorted, no NaN):

    * Runs of equal values collapse to their first index: ``side="right"``
      counts values ``<= x``, so the answer is the first index of the first run
      whose value exceeds ``x``, or ``K`` (clipped to ``K - 1``) when none does.
    * ``f`` is non-decreasing (rounded multiplication by ``s > 0``, clip and
      truncation towards zero of a non-negative number all are), so a value
      ``c`` with ``f(c) < f(x)`` is ``<= x`` and one with ``f(c) > f(x)`` is
      ``> x``: only values with ``f(c) == f(x)`` need comparing with ``x``.
      No rounding error can put a key in the wrong bucket, because the buckets
      are defined by ``f`` itself.

    Args:
        cdf: Non-decreasing values, shape ``(K,)``, ``K >= 1``, no NaN (e.g. a
            cumulative sum of non-negative weights).
        keys: Values to look up, any shape, no NaN.

    Returns:
        Indices in ``[0, K)``, int64, shape of ``keys``.
    """
    k = cdf.size
    first = np.empty(k, dtype=bool)
    first[0] = True
    np.not_equal(cdf[1:], cdf[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    values = cdf[starts]
    n_buckets = GUIDE_BUCKETS_PER_VALUE * values.size
    top = float(values[-1])
    scale = n_buckets / top if top > 0 else 0.0
    if not 0 < scale < np.inf:  # no positive value, or one too small or too large to scale
        return np.minimum(cdf.searchsorted(keys, side="right"), k - 1)
    width = np.bincount(np.clip(values * scale, 0, n_buckets).astype(np.intp),
                        minlength=n_buckets + 1)
    widest = int(width.max())
    if widest > GUIDE_MAX_WIDTH:
        return np.minimum(cdf.searchsorted(keys, side="right"), k - 1)
    steps = widest.bit_length()
    lo = np.cumsum(width) - width
    # NaN padding compares False, so reading past the last value counts nothing.
    padded = np.concatenate([values, np.full(1 << steps, np.nan)])
    pos = lo.take(np.clip(keys * scale, 0, n_buckets).astype(np.intp))
    for step in reversed(range(steps)):
        hit = padded[(1 << step) - 1:].take(pos) <= keys
        pos += hit << step if step else hit
    return np.append(starts, k - 1).take(pos)

"""The researcher workforce: a struct of numpy arrays, one row per researcher.

Researchers are not Mesa agents (model-spec "Actors"): the talent market works
on whole arrays so that it scales to millions of researchers. Rows of retired
researchers stay (``active`` false) until :meth:`Workforce.compact` drops them.
"""

from __future__ import annotations

import numpy as np

_FIELDS: dict[str, type] = {
    "skill": np.float64,
    "employer": np.int64,
    "salary_usd": np.float64,
    "liquid_wealth_usd": np.float64,
    "unvested_equity_usd": np.float64,
    "vested_equity_usd": np.float64,
    "tenure_months": np.float64,
    "safety_pref": np.float64,
    "openness_pref": np.float64,
    "active": np.bool_,
    "graduate": np.bool_,
}


class Workforce:
    """Struct-of-arrays of researchers.

    Attributes:
        skill: Productivity, lognormal with median 1.
        employer: Organisation id of the current employer.
        salary_usd: Annual pay at the current employer (USD/year).
        liquid_wealth_usd: Savings and proceeds of equity sales (USD).
        unvested_equity_usd: Equity forfeited on leaving (USD).
        vested_equity_usd: Vested, illiquid equity (USD); buybacks turn it liquid.
        tenure_months: Months at the current employer.
        safety_pref: Preference for safety work in [0, 1].
        openness_pref: Preference for open research in [0, 1].
        active: False after retirement.
        graduate: True during the month a new PhD enters the market.
    """

    skill: np.ndarray
    employer: np.ndarray
    salary_usd: np.ndarray
    liquid_wealth_usd: np.ndarray
    unvested_equity_usd: np.ndarray
    vested_equity_usd: np.ndarray
    tenure_months: np.ndarray
    safety_pref: np.ndarray
    openness_pref: np.ndarray
    active: np.ndarray
    graduate: np.ndarray

    def __init__(self, capacity: int) -> None:
        self.size = 0
        self._active_rows: np.ndarray | None = None
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.zeros(max(capacity, 1), dtype=dtype))

    def _grow(self, needed: int) -> None:
        cap = self.skill.size
        if needed <= cap:
            return
        new_cap = max(needed, 2 * cap)
        for name in _FIELDS:
            old = getattr(self, name)
            arr = np.zeros(new_cap, dtype=old.dtype)
            arr[: self.size] = old[: self.size]
            setattr(self, name, arr)

    def add(
        self,
        employer: np.ndarray,
        rng: np.random.Generator,
        skill_sigma: float,
        pref_alpha: float,
        pref_beta: float,
        graduate: bool,
    ) -> np.ndarray:
        """Append new researchers and return their row indices.

        Args:
            employer: Employer id of each new researcher, shape ``(n,)``.
            rng: Generator of the demography component.
            skill_sigma: Sigma of the lognormal skill (median 1).
            pref_alpha: Beta-distribution ``a`` of safety/openness preferences.
            pref_beta: Beta-distribution ``b`` of safety/openness preferences.
            graduate: Whether they are new PhDs entering the job market.

        Returns:
            Row indices of the new researchers.
        """
        n = len(employer)
        start = self.size
        self._grow(start + n)
        rows = np.arange(start, start + n)
        self.skill[rows] = rng.lognormal(0.0, skill_sigma, n)
        self.employer[rows] = employer
        self.salary_usd[rows] = 0.0
        self.liquid_wealth_usd[rows] = 0.0
        self.unvested_equity_usd[rows] = 0.0
        self.vested_equity_usd[rows] = 0.0
        self.tenure_months[rows] = 0.0
        self.safety_pref[rows] = rng.beta(pref_alpha, pref_beta, n)
        self.openness_pref[rows] = rng.beta(pref_alpha, pref_beta, n)
        self.active[rows] = True
        self.graduate[rows] = graduate
        self.size = start + n
        self._active_rows = None
        return rows

    def active_rows(self) -> np.ndarray:
        """Row indices of active researchers (cached until the next add, retire or compact)."""
        if self._active_rows is None:
            self._active_rows = np.flatnonzero(self.active[: self.size])
        return self._active_rows

    def retire(self, rows: np.ndarray) -> None:
        """Mark researchers ``rows`` as retired (inactive)."""
        self.active[rows] = False
        self._active_rows = None

    def compact(self) -> None:
        """Drop retired rows when they are more than half of the table (keeps order)."""
        keep = self.active_rows()
        if keep.size * 2 >= self.size:
            return
        for name in _FIELDS:
            arr = getattr(self, name)
            arr[: keep.size] = arr[keep]
        self.size = keep.size
        self._active_rows = None

"""Double-entry ledger of money flows between organisations and outside accounts.

Every change of an organisation's cash goes through :meth:`Ledger.transfer`,
which debits one account and credits another, so that the sum of all
organisations' cash plus the outside accounts (investors, customers,
government, households, hardware vendors, suppliers) never changes. Amounts
are USD. Per-step inflows and outflows of each organisation are recorded for
the conservation checks, and every outside account's inflow and outflow by
year of the run (``money_flows``: where money came from and where it went).
"""

from __future__ import annotations

import math

import numpy as np

#: Outside accounts, addressed by negative ids.
EXTERNAL = ("investors", "customers", "government", "households", "hardware", "suppliers")
INVESTORS, CUSTOMERS, GOVERNMENT, HOUSEHOLDS, HARDWARE, SUPPLIERS = (
    -1, -2, -3, -4, -5, -6)


#: Python and numpy scalar types that :meth:`Ledger.transfer` books without arrays.
_SCALARS = (int, float, np.integer, np.floating)


def _sum_by_account(ids: np.ndarray, amt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct account ids (ascending) and the amounts to each, summed in input order.

    ``np.bincount`` adds the weights of a bin one after the other in input
    order, as ``np.unique`` followed by ``np.bincount`` on the inverse does.
    """
    shifted = ids + len(EXTERNAL)
    sums = np.bincount(shifted, weights=amt)
    seen = np.zeros(sums.size, dtype=bool)
    seen[shifted] = True
    present = np.flatnonzero(seen)
    return present - len(EXTERNAL), sums[present]


class Ledger:
    """Cash of organisations (ids >= 0) and balances of outside accounts (ids < 0).

    Attributes:
        cash_usd: Cash of each organisation.
        external_usd: Balance of each outside account (starts at 0; sources go negative).
        inflow_usd: This step's inflows per organisation.
        outflow_usd: This step's outflows per organisation.
        by_category_usd: Run totals of transfers by category.
        year: Year of the run that transfers are booked to (0 = first 12 months).
        external_in_usd: Money received by each outside account, shape ``(years, accounts)``.
        external_out_usd: Money paid by each outside account, shape ``(years, accounts)``.
    """

    def __init__(self, capacity: int, years: int = 1) -> None:
        self.cash_usd = np.zeros(capacity)
        self.inflow_usd = np.zeros(capacity)
        self.outflow_usd = np.zeros(capacity)
        self.external_usd = np.zeros(len(EXTERNAL))
        self.by_category_usd: dict[str, float] = {}
        self.year = 0
        self.external_in_usd = np.zeros((max(years, 1), len(EXTERNAL)))
        self.external_out_usd = np.zeros((max(years, 1), len(EXTERNAL)))

    def grow(self, capacity: int) -> None:
        """Make room for organisations with ids below ``capacity``."""
        if capacity <= self.cash_usd.size:
            return
        extra = capacity - self.cash_usd.size
        self.cash_usd = np.concatenate([self.cash_usd, np.zeros(extra)])
        self.inflow_usd = np.concatenate([self.inflow_usd, np.zeros(extra)])
        self.outflow_usd = np.concatenate([self.outflow_usd, np.zeros(extra)])

    def start_step(self) -> None:
        """Reset the per-step flow records."""
        self.inflow_usd[:] = 0.0
        self.outflow_usd[:] = 0.0

    def transfer(self, src: np.ndarray | int, dst: np.ndarray | int,
                 amount_usd: np.ndarray | float, category: str) -> None:
        """Move money from ``src`` to ``dst`` (arrays broadcast; negative ids are outside).

        Args:
            src: Paying account id(s).
            dst: Receiving account id(s).
            amount_usd: Non-negative amount(s).
            category: Label for the run totals (e.g. ``"salaries"``).

        Raises:
            ValueError: A negative or non-finite amount.
        """
        if (isinstance(src, _SCALARS) and isinstance(dst, _SCALARS)
                and isinstance(amount_usd, _SCALARS)):
            self._transfer_one(int(src), int(dst), float(amount_usd), category)
            return
        src_a, dst_a = np.asarray(src), np.asarray(dst)
        amt = np.asarray(amount_usd, dtype=float)
        if src_a.ndim == 0 and dst_a.ndim == 0 and amt.ndim == 0:
            self._transfer_one(int(src_a), int(dst_a), float(amt), category)
            return
        if (amt.ndim == 0 or (src_a.ndim and src_a.shape != amt.shape)
                or (dst_a.ndim and dst_a.shape != amt.shape)):
            shape = np.broadcast_shapes(src_a.shape, dst_a.shape, amt.shape)
            amt = np.full(shape, float(amt)) if amt.ndim == 0 else np.broadcast_to(amt, shape)
        if amt.ndim > 1:
            amt = amt.ravel()
        if amt.size == 0:
            return
        total = np.add.reduce(amt)
        if not np.minimum.reduce(amt) >= 0.0 or (total == np.inf and not amt.max() < np.inf):
            raise ValueError(f"ledger transfer '{category}': amounts must be finite and >= 0")
        self._post(src_a, amt, total, -1.0)
        self._post(dst_a, amt, total, 1.0)
        self.by_category_usd[category] = self.by_category_usd.get(category, 0.0) + total

    def _post(self, ids: np.ndarray, amt: np.ndarray, total: float, sign: float) -> None:
        """Book ``sign * amt`` on accounts ``ids`` (one id, or one per amount).

        Amounts to the same account are summed first (in order), then booked,
        so the result does not depend on how a transfer is split; ``total`` is
        ``amt.sum()``. Ids are sorted, so outside accounts (negative) come first.
        """
        if ids.ndim == 0:
            one = int(ids)
            if one >= 0:
                self.cash_usd[one] += sign * float(total)
                (self.outflow_usd if sign < 0 else self.inflow_usd)[one] += float(total)
            else:
                self._book_external(-one - 1, sign, float(total))
            return
        if ids.dtype != np.int64:
            ids = ids.astype(np.int64)
        if ids.ndim > 1:
            ids = ids.ravel()
        if ids.size != amt.size:
            ids = np.broadcast_to(ids, amt.shape)
        if ids.size > 1 and not (ids[1:] > ids[:-1]).all():
            ids, amt = _sum_by_account(ids, amt)
        if ids[0] < 0:
            n_ext = int(np.searchsorted(ids, 0))
            for k in range(n_ext):
                if amt[k] != 0.0:
                    self._book_external(int(-ids[k] - 1), sign, float(amt[k]))
            ids, amt = ids[n_ext:], amt[n_ext:]
        if sign < 0:
            self.cash_usd[ids] -= amt
            self.outflow_usd[ids] += amt
        else:
            self.cash_usd[ids] += amt
            self.inflow_usd[ids] += amt

    def _book_external(self, account: int, sign: float, amount: float) -> None:
        """Book ``sign * amount`` on outside account ``account`` and in its yearly flows."""
        self.external_usd[account] += sign * amount
        year = min(self.year, self.external_in_usd.shape[0] - 1)
        if sign > 0:
            self.external_in_usd[year, account] += amount
        else:
            self.external_out_usd[year, account] += amount

    def _transfer_one(self, src: int, dst: int, amount: float, category: str) -> None:
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"ledger transfer '{category}': amounts must be finite and >= 0")
        if src >= 0:
            self.cash_usd[src] -= amount
            self.outflow_usd[src] += amount
        else:
            self._book_external(-src - 1, -1.0, amount)
        if dst >= 0:
            self.cash_usd[dst] += amount
            self.inflow_usd[dst] += amount
        else:
            self._book_external(-dst - 1, 1.0, amount)
        self.by_category_usd[category] = self.by_category_usd.get(category, 0.0) + amount

    def total_usd(self) -> float:
        """Sum of all organisations' cash and outside balances (constant: 0 plus initial cash)."""
        return float(self.cash_usd.sum() + self.external_usd.sum())

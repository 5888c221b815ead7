"""Monthly settlement: employers pay salaries, then compute bills, as far as cash allows.

Salaries come first (to households); what cash is left pays the compute
bills at each provider pro rata (docs/model.md §7.18). Nothing is paid on
credit: an employer short of cash pays a share of each bill.
"""

from __future__ import annotations

import numpy as np

from sim.economy.ledger import HOUSEHOLDS, Ledger


def settle(ledger: Ledger, buyers: np.ndarray, salary_usd: np.ndarray, bills_usd: np.ndarray,
           provider_org: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pay salaries, then compute bills, within each buyer's cash.

    Args:
        ledger: The book.
        buyers: Organisation ids of the paying employers.
        salary_usd: Salary bill of each buyer (USD/month).
        bills_usd: Compute bill of each buyer at each provider, shape ``(buyers, providers)``.
        provider_org: Organisation id of each provider.

    Returns:
        Share of its salary bill each buyer paid, and the compute paid, shape like ``bills_usd``.
    """
    cash = ledger.cash_usd[buyers]
    sal_paid = np.divide(np.minimum(salary_usd, np.maximum(cash, 0.0)), salary_usd,
                         out=np.ones_like(salary_usd), where=salary_usd > 0)
    ledger.transfer(buyers, HOUSEHOLDS, salary_usd * sal_paid, "salaries")
    left = np.maximum(ledger.cash_usd[buyers], 0.0)
    due = bills_usd.sum(axis=1)
    share = np.divide(np.minimum(due, left), due, out=np.ones_like(due), where=due > 0)
    paid = bills_usd * share[:, None]
    nz = paid > 0
    b_idx, p_idx = np.nonzero(nz)
    ledger.transfer(buyers[b_idx], provider_org[p_idx], paid[nz], "compute")
    return sal_paid, paid


def payroll(employer: np.ndarray, salary_usd: np.ndarray, alive: np.ndarray,
            people_per_row: float) -> tuple[np.ndarray, np.ndarray]:
    """Each researcher row's monthly pay and each organisation's salary bill.

    Args:
        employer: Employer (organisation id) of each row.
        salary_usd: Salary of each row (USD/year).
        alive: Whether each organisation is alive; dead ones owe nothing.
        people_per_row: People each row stands for.

    Returns:
        Pay of each row (USD/month per person, whatever the employer) and the
        salary bill of each organisation (USD/month).
    """
    pay = salary_usd / 12.0
    bill = np.bincount(employer, weights=pay, minlength=alive.size)
    bill[~alive] = 0
    return pay, bill * people_per_row


def saved_pay_usd(pay_usd: np.ndarray, employer: np.ndarray, buyers: np.ndarray,
                  salary_paid: np.ndarray, alive: np.ndarray, savings_share: float) -> np.ndarray:
    """What each row saves of the pay it got: ``savings_share`` of its pay times the share paid.

    Args:
        pay_usd: Pay of each row from :func:`payroll` (USD/month; overwritten).
        employer: Employer of each row.
        buyers: Organisations that settled (others paid in full, dead ones nothing).
        salary_paid: Share of its salary bill each of ``buyers`` paid.
        alive: Whether each organisation is alive.
        savings_share: Share of pay saved.

    Returns:
        Savings of each row (USD, per person): ``pay_usd`` itself.
    """
    paid = np.ones(alive.size)
    paid[buyers] = salary_paid
    paid[~alive] = 0.0
    pay_usd *= savings_share
    pay_usd *= paid.take(employer)
    return pay_usd

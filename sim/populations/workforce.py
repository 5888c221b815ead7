"""The researcher workforce: one vectorised population, one row per researcher.

Researchers are not Mesa agents (model-spec "Actors"): the population is one
object whose methods work on whole arrays (the mesa-frames idea), so that it
scales to millions of researchers. :class:`ResearcherTable` holds the data;
:class:`Workforce` adds the behaviour: retire and graduate, search and choose
employers, move, vest equity, leave to found spin-outs (docs/model.md
§7.12-7.16). Rows ``0 .. size-1`` are exactly the researchers in the
industry: retirement removes rows at once (keeping the order of the others),
so every method works on contiguous slices rather than gathers. Every move is
logged in a :class:`FlowLog` between the kinds of employer of
:data:`sim.results.FLOW_KINDS`.
"""

from __future__ import annotations

import numpy as np

from sim.markets.sampling import categorical
from sim.markets.talent import (
    accept_applicants,
    choose_employer,
    retained,
    sample_candidates,
    search_probability,
    search_probability_bound,
)
from sim.orgs import ACADEMIA, HYPERSCALER, LAB, STARTUP, Orgs
from sim.params import SimParams
from sim.results import FLOW_KINDS

#: Flow kinds (indices into :data:`sim.results.FLOW_KINDS`).
K_ACAD, K_LAB, K_STARTUP, K_HYPER, K_ENTRY, K_EXIT = range(len(FLOW_KINDS))

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
    "graduate": np.bool_,
}


class ResearcherTable:
    """Struct-of-arrays of researchers (the data of :class:`Workforce`).

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
    graduate: np.ndarray

    def __init__(self, capacity: int) -> None:
        self.size = 0
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
        new = slice(start, start + n)
        self.skill[new] = rng.lognormal(0.0, skill_sigma, n)
        self.employer[new] = employer
        self.salary_usd[new] = 0.0
        self.liquid_wealth_usd[new] = 0.0
        self.unvested_equity_usd[new] = 0.0
        self.vested_equity_usd[new] = 0.0
        self.tenure_months[new] = 0.0
        self.safety_pref[new] = rng.beta(pref_alpha, pref_beta, n)
        self.openness_pref[new] = rng.beta(pref_alpha, pref_beta, n)
        self.graduate[new] = graduate
        self.size = start + n
        return np.arange(start, start + n)

    def retire(self, rows: np.ndarray) -> None:
        """Remove researchers ``rows``; the others keep their order and move up.

        Args:
            rows: Distinct row indices in increasing order (as from ``np.flatnonzero``).
                Rows before the first of them do not move and are not copied, nor
                is a boolean column that is all False (``graduate`` once cleared).
        """
        if rows.size == 0:
            return
        first = int(rows[0])
        keep = np.ones(self.size - first, dtype=bool)
        keep[rows - first] = False
        n = self.size - rows.size
        for name in _FIELDS:
            tail = getattr(self, name)[first: self.size]
            if tail.dtype == np.bool_ and not tail.any():
                continue
            tail[: n - first] = tail[keep]
        self.size = n


class FlowLog:
    """Researcher moves between kinds of employer, this month and by year of the run.

    Attributes:
        month: Moves this month, shape ``(K, K)`` indexed ``[from_kind, to_kind]``.
        by_year: Moves by year of the run, shape ``(years, K, K)``.
    """

    def __init__(self, years: int) -> None:
        self.month = np.zeros((len(FLOW_KINDS), len(FLOW_KINDS)), dtype=np.int64)
        self.by_year = np.zeros((years, len(FLOW_KINDS), len(FLOW_KINDS)), dtype=np.int64)

    def log(self, src_kind: np.ndarray, dst_kind: np.ndarray) -> None:
        """Count one move per pair of source and destination kinds."""
        np.add.at(self.month, (src_kind, dst_kind), 1)

    def close_month(self, t: int) -> None:
        """Add this month's moves to its year (the last year absorbs any overflow)."""
        self.by_year[min(t // 12, self.by_year.shape[0] - 1)] += self.month


class Workforce(ResearcherTable):
    """The researcher population and its behaviour.

    Args:
        params: Validated parameters.
        orgs: The organisation table (employers' pay, compute, prestige, vacancies).
        flows: Where moves are logged.
        n_rows: Researchers simulated at the start (rows).
        people_per_row: People each row stands for (``scenario.represented_researchers``).

    Attributes:
        initial_researchers: Rows at the start (graduate inflow scales with it).
        people_per_row: People each row stands for.
        grad_history: New PhDs and those hired by industry in the last 12 months,
            shape ``(12, 2)``, indexed by month of the year.
        retention_offers: Counter-offers labs made to staff hired away (rows, run total).
        retained: Counter-offers accepted: the researcher stayed with a raise (rows).
    """

    def __init__(self, params: SimParams, orgs: Orgs, flows: FlowLog, n_rows: int,
                 people_per_row: float) -> None:
        super().__init__(int(n_rows * 1.2) + 16)
        self.p = params
        self.orgs = orgs
        self.flows = flows
        self.initial_researchers = n_rows
        self.people_per_row = people_per_row
        self.grad_history = np.zeros((12, 2))
        self.retention_offers = 0
        self.retained = 0

    def pay(self, rows: np.ndarray) -> np.ndarray:
        """Annual pay of ``rows``: employer's level times ``skill^el / E[skill^el]`` (USD/yr)."""
        el = self.p.talent.skill_salary_elasticity
        norm = np.exp(0.5 * (el * self.p.talent.skill_sigma) ** 2)
        return self.orgs.salary_usd[self.employer[rows]] * (self.skill[rows] ** el) / norm

    def grant_years(self, employer: np.ndarray) -> np.ndarray:
        """Equity grant on joining, in years of salary, by employer kind."""
        by_kind = np.zeros(HYPERSCALER + 1)
        by_kind[LAB] = self.p.labs.equity_grant_years
        by_kind[STARTUP] = self.p.startups.equity_grant_years
        return by_kind[self.orgs.kind[employer]]

    def count_staff(self) -> None:
        """Recompute each organisation's headcount, skill, staff and skill mass columns."""
        o, n = self.orgs, self.size
        o.headcount[: o.size] = np.bincount(self.employer[:n], minlength=o.size)[: o.size]
        o.skill_sum[: o.size] = np.bincount(self.employer[:n], weights=self.skill[:n],
                                            minlength=o.size)[: o.size]
        o.staff[: o.size] = o.headcount[: o.size] * self.people_per_row
        o.skill_mass[: o.size] = o.skill_sum[: o.size] * self.people_per_row

    def salary_bill_usd(self) -> np.ndarray:
        """Salaries owed this month per organisation, in people (USD/month)."""
        n = self.size
        return np.bincount(self.employer[:n], weights=self.salary_usd[:n],
                           minlength=self.orgs.size) * (self.people_per_row / 12.0)

    def demography(self, t: int, rng: np.random.Generator, pool_ids: np.ndarray,
                   pool_weights: np.ndarray) -> None:
        """Retire researchers and add this month's new PhDs to the talent pools (§7.12).

        Args:
            t: Month.
            rng: Generator of the demography component.
            pool_ids: Organisation ids of the talent pools.
            pool_weights: Each pool's share of graduates.
        """
        p = self.p.talent
        self.graduate[: self.size] = False
        retire = np.flatnonzero(rng.random(self.size) < p.retirement_rate_per_year / 12.0)
        if retire.size:
            self.flows.log(self.orgs.flow_kind[self.employer[retire]],
                           np.full(retire.size, K_EXIT))
            self.retire(retire)
        rate = (p.graduate_rate_per_year / 12.0 * self.initial_researchers
                * (1.0 + p.graduate_growth_per_year) ** (t / 12.0))
        n_grad = int(rng.poisson(rate))
        if n_grad:
            emp = pool_ids[categorical(pool_weights, n_grad, rng)]
            new = self.add(emp, rng, p.skill_sigma, p.pref_alpha, p.pref_beta, graduate=True)
            self.salary_usd[new] = self.pay(new)
            self.flows.log(np.full(n_grad, K_ENTRY), np.full(n_grad, K_ACAD))

    def search_and_move(self, t: int, rng: np.random.Generator) -> np.ndarray:
        """Run the talent market for one month and return the lab staff who leave to found.

        Researchers search with a probability that falls with tenure and wealth
        and rises with poor fit; each weighs the current employer against
        candidates drawn by posted vacancies (a partner lab is seen with
        ``partner_visibility`` and costs less to switch to), by pay, compute per
        head, prestige and fit, minus switching costs, forfeited equity and
        non-competes; employers take applicants by skill up to their vacancies.
        With ``labs.retention_raise`` > 0 a lab counters for hired-away staff of
        skill at least ``labs.retention_skill_min``: the researcher stays, with
        the raise, when staying plus the raise's utility beats the offer under
        the same random utilities (docs/model.md §7.13, §7.16). Spin-out founders
        are drawn among lab staff who did not move; they are returned, not moved.

        Args:
            t: Month.
            rng: Generator of the talent component.

        Returns:
            Rows of the spin-out founders.
        """
        p, o, gov, n = self.p.talent, self.orgs, self.p.governance, self.size
        k = o.size
        draw = rng.random(n)
        maybe = np.flatnonzero(draw < search_probability_bound(
            p.search_rate_per_month, self.liquid_wealth_usd[:n], p.search_wealth_usd))
        emp = self.employer[maybe]
        fit = 1.0 - 0.5 * (np.abs(self.safety_pref[maybe] - o.safety[emp])
                           + np.abs(self.openness_pref[maybe] - o.openness[emp]))
        prob = search_probability(p.search_rate_per_month, self.tenure_months[maybe],
                                  p.search_tenure_months, self.liquid_wealth_usd[maybe],
                                  p.search_wealth_usd, fit)
        # One gather gives each row's employer: dead (bit 0) and a lab (bit 1). Ids are
        # valid, so ``take(mode="clip")`` (cheaper than fancy indexing) clips nothing.
        org_code = ~o.alive[:k] | ((o.kind[:k] == LAB) << 1).astype(np.uint8)
        row_code = org_code.take(self.employer[:n], mode="clip")
        search = (row_code & 1).view(np.bool_)
        search |= self.graduate[:n]
        search[maybe[draw[maybe] < prob]] = True
        s_rows = np.flatnonzero(search)
        m = s_rows.size
        cur = self.employer[s_rows]
        vac = np.where(o.alive[:k], o.vacancies[:k], 0.0)
        cand = sample_candidates(vac, m, p.candidates, rng)
        partner_of_cur = o.partner_lab[cur]
        known = ((partner_of_cur >= 0) & (vac[np.maximum(partner_of_cur, 0)] > 0)
                 & (rng.random(m) < p.partner_visibility))
        cand[known, -1] = partner_of_cur[known]
        # Options by rows (the current employer first), searchers along the contiguous axis,
        # so that per-searcher terms broadcast along long rows.
        opt = np.empty((cand.shape[1] + 1, m), dtype=np.int64)
        opt[0] = cur
        opt[1:] = cand.T
        valid = opt >= 0
        all_valid = bool(valid.all())
        if not all_valid:
            opt[~valid] = 0
        # Terms that depend only on the employer, per organisation, then gathered.
        comp = np.maximum(o.compute_h100e[:k], 1e-6) / np.maximum(o.staff[:k], 1.0)
        by_org = (p.b_wage * np.log(np.maximum(o.salary_usd[:k], 1.0))
                  + p.b_compute * np.log(comp + 1e-3)
                  + p.b_prestige * o.prestige[:k])
        util = by_org.take(opt, mode="clip")
        util += (p.b_safety * self.safety_pref.take(s_rows, mode="clip")
                 * o.safety.take(opt, mode="clip"))
        util += (p.b_openness * self.openness_pref.take(s_rows, mode="clip")
                 * o.openness.take(opt, mode="clip"))
        moving = opt != cur
        switch = p.switching_cost + p.equity_cost_per_salary_year * (
            self.unvested_equity_usd[s_rows] / np.maximum(self.salary_usd[s_rows], 1.0))
        # ``opt`` holds ids >= 0 (invalid options were set to 0), so no partner (-1) matches.
        channel = partner_of_cur == opt
        switch = np.where(channel, switch * (1.0 - p.partner_switch_discount), switch)
        np.subtract(util, switch, out=util, where=moving)
        if gov.noncompete_penalty > 0:
            from_lab = o.kind[cur] == LAB
            to_rival = (o.kind[opt] == LAB) | (o.kind[opt] == STARTUP)
            util -= np.where(moving & from_lab & to_rival, gov.noncompete_penalty, 0.0)
        if not all_valid:
            util[~valid] = -np.inf
        util[0, ~o.alive[cur]] = -np.inf
        pick, noisy = choose_employer(util.T, rng)
        searcher = np.arange(m)
        choice = opt[pick, searcher]
        has_option = np.isfinite(util[pick, searcher])
        applying = (choice != cur) & has_option
        skill = self.skill[s_rows]
        accepted = accept_applicants(np.where(applying, choice, -1), skill, np.floor(vac))
        lp = self.p.labs
        if lp.retention_raise > 0:
            counter = (accepted & (o.kind[cur] == LAB)
                       & (skill >= lp.retention_skill_min))
            stay = retained(noisy, pick, counter, p.b_wage * np.log1p(lp.retention_raise))
            self.salary_usd[s_rows[stay]] *= 1.0 + lp.retention_raise
            accepted &= ~stay
            self.retention_offers += int(counter.sum())
            self.retained += int(stay.sum())
        movers = s_rows[accepted]
        src = self.employer[movers]
        dst = choice[accepted]
        is_grad = self.graduate[s_rows]
        grads = s_rows[is_grad]
        self.grad_history[t % 12] = (grads.size,
                                     np.count_nonzero(accepted & is_grad
                                                      & (o.kind[choice] != ACADEMIA)))
        founders = self._spinout_founders(movers, row_code >= 2, rng)
        self.move(movers, src, dst)
        return founders

    def _spinout_founders(self, movers: np.ndarray, at_lab: np.ndarray,
                          rng: np.random.Generator) -> np.ndarray:
        """Lab staff who stay this month and leave to found a startup (docs/model.md §7.16).

        The monthly probability rises with liquid wealth and is restrained by a
        non-compete, ``exp(-noncompete_penalty)``; a row founds with the
        probability that any of the people it stands for does.

        Args:
            movers: Rows that change employer this month.
            at_lab: Whether each row's employer is a lab, shape ``(size,)``; overwritten.
            rng: Generator of the talent component.

        Returns:
            Rows of the founders.
        """
        p = self.p.talent
        at_lab[movers] = False
        at_lab = np.flatnonzero(at_lab)
        rate = (p.spinout_rate_per_month * np.exp(-self.p.governance.noncompete_penalty)
                * self.people_per_row)
        draw = rng.random(at_lab.size)
        # The probability rises with wealth and every rounding step is monotone, so the
        # richest row's bounds every row's exactly: only draws below it need the exact one.
        bound = min(1.0, rate * (1.0 + self.liquid_wealth_usd[: self.size].max(initial=0.0)
                                 / p.spinout_wealth_usd))
        maybe = np.flatnonzero(draw < bound)
        rows = at_lab[maybe]
        prob = np.minimum(1.0, rate * (1.0 + self.liquid_wealth_usd[rows] / p.spinout_wealth_usd))
        return rows[draw[maybe] < prob]

    def move(self, movers: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
        """Commit job moves: forfeit unvested equity, new pay, new grant, log the flow."""
        if movers.size == 0:
            return
        o = self.orgs
        self.flows.log(o.flow_kind[src], o.flow_kind[dst])
        self.employer[movers] = dst
        self.tenure_months[movers] = 0.0
        self.salary_usd[movers] = self.pay(movers)
        self.unvested_equity_usd[movers] = self.grant_years(dst) * self.salary_usd[movers]

    def vest_and_grow(self) -> None:
        """Grow staff equity with the employer's valuation, vest it linearly, add tenure.

        A share ``1 / max(1, vesting_months - tenure)`` of unvested equity vests
        each month (all of it from the last month of the schedule on). Works on
        contiguous views of the table (no gathers).
        """
        n = self.size
        g = self.orgs.valuation_growth.take(self.employer[:n], mode="clip")
        unvested, vested, tenure = (self.unvested_equity_usd[:n], self.vested_equity_usd[:n],
                                    self.tenure_months[:n])
        unvested *= g
        vested *= g
        left = np.subtract(self.p.talent.vesting_months, tenure)
        vest = np.divide(unvested, np.maximum(left, 1.0, out=left), out=left)
        unvested -= vest
        vested += vest
        tenure += 1.0

    def staff_rows(self, orgs: np.ndarray) -> dict[int, np.ndarray]:
        """Rows of the researchers employed by each organisation in ``orgs``."""
        emp = self.employer[: self.size]
        return {int(org): np.flatnonzero(emp == org) for org in orgs}

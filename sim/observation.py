"""Snapshots of a model for the metrics: what :mod:`sim.metrics` reads, as plain values.

The metrics are pure functions of these records (architecture: metrics never
read the model). :func:`month_state` is taken once a month after the
accounting phase, :func:`run_record` once at the end of a run; both copy
nothing large (arrays are views of the model's state at that moment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import metrics
from sim.metrics import MonthState, RunRecord
from sim.results import Results

if TYPE_CHECKING:
    from sim.model import RaceModel


def month_state(model: RaceModel, train_flop: np.ndarray, n_incidents: int) -> MonthState:
    """This month's state as the time-series metrics need it.

    Args:
        model: The model after the accounting phase (staff counted).
        train_flop: FLOP of each lab's largest run this month.
        n_incidents: Incidents drawn this month.
    """
    o, wf, labs, clouds = model.orgs, model.workforce, model.labs, model.clouds
    st = model.startups.ids()
    return MonthState(
        lab_capability_oom=labs.capabilities(),
        lab_safety=labs.array("safety"),
        lab_openness=labs.array("openness"),
        lab_compute_h100e=labs.array("compute_h100e"),
        lab_market_share=labs.market_share,
        lab_revenue_usd=float(sum(lab.revenue_usd for lab in labs.members)),
        upstream_deals_active=sum(lab.contract is not None for lab in labs.members),
        train_flop=train_flop,
        employer=wf.employer[: wf.size],
        skill=wf.skill[: wf.size],
        people_per_row=wf.people_per_row,
        flows_month=model.flows.month,
        grad_history=wf.grad_history,
        org_kind=o.kind[: o.size],
        startup_mode=o.mode[st],
        startup_revenue_usd=float(o.revenue_usd[st].sum()),
        startups_alive=st.size,
        academic_salary_usd=float(o.salary_usd[model.pools.org_ids[0]]),
        academic_output_oom=float(sum(pool.output_oom for pool in model.pools.members)),
        cloud_big=np.array([h.big for h in clouds.members]),
        cloud_revenue_usd=np.array([h.revenue_usd for h in clouds.members]),
        compute_price_usd_per_h100e_hour=model.market.compute_price_usd,
        n_incidents=n_incidents,
        log_no_incident=model.incidents.log_no_incident,
        log_no_major=model.incidents.log_no_major,
        lab_spinouts=model.startups.spinouts_total,
        public_knowledge_oom=model.knowledge.public_oom,
        lead_window_oom=model.p.scenario.lead_window_oom,
        market=model.market,
    )


def run_record(model: RaceModel) -> RunRecord:
    """The finished run as the summary metrics and :class:`sim.results.Results` need it."""
    o, steps = model.orgs, model.t
    years = int(np.ceil(steps / 12))
    return RunRecord(
        seed=model.seed_value,
        steps=steps,
        series=model.series,
        lab_series=model.lab_series,
        lab_names=[lab.name for lab in model.labs.members],
        flows_by_year=model.flows.by_year[:years],
        money_in_usd=model.ledger.external_in_usd[:years],
        money_out_usd=model.ledger.external_out_usd[:years],
        start_year=model.p.scenario.start_year,
        capability_threshold_oom=model.p.scenario.capability_threshold_oom,
        phase_seconds=dict(model.phase_seconds),
        lab_spinouts=model.startups.spinouts_total,
        startup_initial=o.initial[: o.size],
        org_alive=o.alive[: o.size],
        market=model.market,
        deal_offers=model.deals.offers,
        deals_signed=model.deals.signed,
        deals_blocked=model.deals.blocked,
        major_incidents=model.incidents.major_incidents,
    )


def results(model: RaceModel) -> Results:
    """Package a finished model run as :class:`sim.results.Results`."""
    return metrics.results(run_record(model))

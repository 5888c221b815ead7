"""Paired reruns quoted in docs/model.md §10 and the deal_cycle / price_index READMEs.

Run ``python experiments/paired_checks.py {stream,index,fact1}`` (about a minute each on
2 cores). Each prints mean and median paired differences, their standard deviation and
how many seeds move up:

* ``stream``: the headline contrast (``downstream.partner_share`` 0.5 against 0, seeds
  20151-20170) with deal offers on the capital stream and on their own
  (``partnership.offer_stream``);
* ``index``: the same contrast under both compute price indices (``clouds.price_index``);
* ``fact1``: stylized fact 1's large deals against none (seeds 0-19, as ``deal_cycle``),
  by default, with ``knowledge.academic_public_elasticity`` 0 and with
  ``capital.hype_elasticity`` 0.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import sim
from sim.params import from_dict

HEADLINE_SEEDS = tuple(range(20151, 20171))
FACT1_SEEDS = tuple(range(20))
FACT1 = {"steps": 120, "partnership": {"deal_size_valuation_share": 1.0,
                                       "offer_prob_per_month": 0.2}}
METRICS = ("capability_growth_oom_per_year", "frontier_capability", "academia_share_top_decile",
           "moves_startup_to_lab", "compute_hhi", "leader_gap_oom")


def _merge(a: dict, b: dict) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in a.items()}
    for k, v in b.items():
        out[k] = _merge(out.get(k, {}), v) if isinstance(v, dict) else v
    return out


def _outcomes(job: tuple[dict, int]) -> dict[str, float]:
    config, seed = job
    r = sim.run(from_dict(config), seed)
    out = {m: float(r.summary[m]) for m in METRICS}
    out["price_2018_2020"] = float(r.timeseries["compute_price_usd_per_h100e_hour"][36:72].mean())
    return out


def contrast(title: str, low: dict, high: dict, seeds: tuple[int, ...]) -> None:
    """Print the paired differences ``high - low`` over ``seeds``."""
    with ProcessPoolExecutor(2) as pool:
        res = list(pool.map(_outcomes, [(c, s) for c in (low, high) for s in seeds]))
    n = len(seeds)
    print(f"== {title} ({n} paired seeds)")
    for m in res[0]:
        d = np.array([res[n + i][m] - res[i][m] for i in range(n)])
        print(f"  {m:34s} mean {d.mean():+.4g}  median {np.median(d):+.4g}  "
              f"sd {d.std(ddof=1):.3g}  up {int((d > 0).sum())}/{n}")


def main() -> None:
    """Run the chosen check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=("stream", "index", "fact1"))
    check = parser.parse_args().check
    half, none = {"downstream": {"partner_share": 0.5}}, {"downstream": {"partner_share": 0.0}}
    if check in ("stream", "index"):
        key = ("partnership", "offer_stream") if check == "stream" else ("clouds", "price_index")
        values = ("capital", "deals") if check == "stream" else ("capacity", "sold")
        for v in values:
            opt = {key[0]: {key[1]: v}}
            contrast(f"half of startups partnered, {key[0]}.{key[1]}={v}",
                     _merge(none, opt), _merge(half, opt), HEADLINE_SEEDS)
    else:
        for name, extra in (("default", {}),
                            ("knowledge.academic_public_elasticity=0",
                             {"knowledge": {"academic_public_elasticity": 0.0}}),
                            ("capital.hype_elasticity=0", {"capital": {"hype_elasticity": 0.0}})):
            base = _merge(FACT1, extra)
            contrast(f"large deals against none, {name}",
                     _merge(base, {"partnership": {"enabled": False}}),
                     _merge(base, {"partnership": {"enabled": True}}), FACT1_SEEDS)


if __name__ == "__main__":
    main()

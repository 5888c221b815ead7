"""Where money comes from and goes: every outside account of the ledger has a rule.

``demand`` holds the customers (an exogenous economy, AI adoption, purchase
shares with an outside option, the non-AI cloud market); ``capital`` holds the
investors (a supply of funds that follows AI revenue and is bounded by the
economy, deal valuation, cloud debt). Both are pure functions over arrays.
The double-entry book is :mod:`sim.economy.ledger`.
"""

"""Three-way reconciliation of the application's UI, its API and the hub (seed 000, step 4).

``reconcile_files`` reads the exports (see :mod:`syncdoctor.importers`), compares account
balances by month, narrows to the impacted accounts and months, then to the transactions, and
classifies each discrepancy: an application bug (UI differs from API), a sync bug (API differs
from the hub), both, or report generation (the data agrees, the dashboard's report does not).
Needs the ``reconcile`` extra (polars).
"""

from __future__ import annotations

from syncdoctor.reconcile.compare import CLASSES, Tolerances
from syncdoctor.reconcile.facts import SUMMARY_FACT
from syncdoctor.reconcile.run import Reconciliation, reconcile, reconcile_files

__all__ = ["CLASSES", "SUMMARY_FACT", "Reconciliation", "Tolerances", "reconcile",
           "reconcile_files"]

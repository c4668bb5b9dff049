"""The OMS sandbox: a Solidus (Spree) storefront database in a real PostgreSQL.

`seed` creates the Solidus tables and fills them deterministically, `touch` writes to them
the way the storefront would (updates bump updated_at, new orders arrive), and `truth`
reads back what a copy must contain. `sandbox oms seed|touch|truth --dsn ...` on the
command line.
"""

from sandbox.oms.data import DEFAULT_COUNTS, END, START
from sandbox.oms.schema import TABLE_NAMES, TABLES
from sandbox.oms.store import Changes, OmsError, row_counts, seed, touch, truth

__all__ = [
    "DEFAULT_COUNTS",
    "END",
    "START",
    "TABLES",
    "TABLE_NAMES",
    "Changes",
    "OmsError",
    "row_counts",
    "seed",
    "touch",
    "truth",
]

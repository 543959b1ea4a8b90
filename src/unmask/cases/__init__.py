"""The case store: operations, their evidence and analysts' decisions, kept across runs.

A *case* is one operation as the investigators know it, over every run of ``unmask detect``
that saw it. ``CaseStore(url)`` opens a store through SQLAlchemy: SQLite in the data
directory by default (``sqlite:///DIR/cases.sqlite``), PostgreSQL by URL for a team
(``postgresql+psycopg://user@host/db``). ``record_run(RUN)`` reads a run directory and
updates the cases; ``decide(...)`` records an analyst's decision. ``docs/cases.md`` says
what each table holds and what an investigator can expect of a re-run.

Matching a run's operation to a case: the *overlap coefficient* (Szymkiewicz–Simpson)
``|A ∩ B| / min(|A|, |B|)`` between the operation's assets ``A`` and every asset the case
has ever had ``B``, at least ``MATCH_THRESHOLD``. Containment rather than Jaccard, because
the same operation is seen in pieces: a run on the first days of the data finds several
fragments of what a later run finds whole, and each fragment belongs to the whole (Jaccard
would call a 10-account fragment of a 150-account operation a new case). The database does
the join (the run's assets go into a temporary table joined to ``case_assets`` on an
index); only the pairs that share an asset come back to Python.
"""

from unmask.cases.store import (
    DEFAULT_FILE,
    MATCH_THRESHOLD,
    CaseStore,
    Recorded,
    case_name,
    default_url,
    parse_case_id,
    record_run,
    resolve_url,
)
from unmask.cases.tables import (
    DECISIONS,
    SCHEMA_VERSION,
    STATUSES,
    CaseStoreError,
    case_assets,
    case_evidence,
    case_runs,
    cases,
    decisions,
    metadata,
    runs,
    schema_table,
)

__all__ = [
    "DECISIONS",
    "DEFAULT_FILE",
    "MATCH_THRESHOLD",
    "SCHEMA_VERSION",
    "STATUSES",
    "CaseStore",
    "CaseStoreError",
    "Recorded",
    "case_assets",
    "case_evidence",
    "case_name",
    "case_runs",
    "cases",
    "decisions",
    "default_url",
    "metadata",
    "parse_case_id",
    "record_run",
    "resolve_url",
    "runs",
    "schema_table",
]

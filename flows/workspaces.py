"""The workspaces that hold data in the configured store, and how much of each kind (`earful workspaces
list`): mentions, cursors and saved searches (`index.workspaces`), customers and link verdicts
(`crm.customers`), orders and interactions (`crm.orders`, `crm.interactions`), scores (`crm.scores`),
cases (`crm.cases`), merges (`crm.identity.audit`), mention workflows (`alerts.workflow`), and brands
and report definitions (`reports.store`), in the
SQLite file or under the Elasticsearch index prefix. Counting only: nothing is created or migrated, and
no store (each scoped to one workspace) is built.
"""

from __future__ import annotations

from alerts.workflow.store import WORKFLOW_TABLES, workflow_index
from core.errors import ConfigError
from core.settings import Settings
from crm.cases.store import CASE_TABLES, case_index
from crm.customers import CUSTOMER_TABLES, customer_indices
from crm.identity.audit import MERGE_TABLES, merge_index
from crm.interactions import INTERACTIONS
from crm.orders import ORDERS
from crm.scores.store import SCORE_TABLES, score_indices
from index.es_client import build_client
from index.workspaces import (
    MENTION_TABLES,
    WorkspaceCounts,
    es_workspace_counts,
    mention_indices,
    sqlite_workspace_counts,
)
from reports.store import REPORT_TABLES, report_indices

KINDS = (
    "mentions",
    "cursors",
    "saved_searches",
    "customers",
    "link_feedback",
    "orders",
    "interactions",
    "scores",
    "cases",
    "merges",
    "workflow",
    "brands",
    "reports",
)
"""Every kind counted, in the order they are shown."""


def list_workspaces(settings: Settings) -> WorkspaceCounts:
    """workspace -> kind -> rows (or documents) in the store of ``settings.store.backend``, ordered by
    workspace; only workspaces and kinds with data appear."""
    backend = settings.store.backend
    if backend == "sqlite":
        records = {"orders": ORDERS.table, "interactions": INTERACTIONS.table}
        return sqlite_workspace_counts(
            settings.sqlite_path,
            {
                **MENTION_TABLES,
                **CUSTOMER_TABLES,
                **records,
                **SCORE_TABLES,
                **CASE_TABLES,
                **MERGE_TABLES,
                **WORKFLOW_TABLES,
                **REPORT_TABLES,
            },
        )
    if backend == "elasticsearch":
        prefix = settings.elasticsearch.index_prefix
        with build_client(settings.elasticsearch) as client:
            return es_workspace_counts(
                client,
                {
                    **mention_indices(prefix),
                    **customer_indices(prefix),
                    "orders": f"{prefix}-{ORDERS.index_suffix}",
                    "interactions": f"{prefix}-{INTERACTIONS.index_suffix}",
                    **score_indices(prefix),
                    "cases": case_index(prefix),
                    "merges": merge_index(prefix),
                    "workflow": workflow_index(prefix),
                    **report_indices(prefix),
                },
            )
    raise ConfigError(
        f"listing workspaces reads the sqlite and elasticsearch stores, not {backend!r}",
        details={"backend": backend},
    )

"""Every table the hub owns, imported in one place for Alembic."""

from hub.access.models import PolicyVersion
from hub.audit.models import AuditEntry
from hub.auth.models import ApiClient
from hub.datasets.models import Agency, Dataset, DatasetVersion, QuarantinedRow
from hub.db import Base

__all__ = [
    "Agency",
    "ApiClient",
    "AuditEntry",
    "Base",
    "Dataset",
    "DatasetVersion",
    "PolicyVersion",
    "QuarantinedRow",
]

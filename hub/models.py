"""Every table the hub owns, imported in one place for Alembic."""

from hub.access.models import AccessRequest, PolicyVersion
from hub.audit.models import AuditCheckpoint, AuditEntry, AuditSubject
from hub.auth.models import ApiClient
from hub.datasets.models import Agency, Dataset, DatasetVersion, QuarantinedRow
from hub.db import Base
from hub.publishing.models import Publication

__all__ = [
    "AccessRequest",
    "Agency",
    "ApiClient",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditSubject",
    "Base",
    "Dataset",
    "DatasetVersion",
    "PolicyVersion",
    "Publication",
    "QuarantinedRow",
]

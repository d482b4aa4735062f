"""The audit trail (BIO 12.4): who did what to which object, when, from where, with what result.

Each service keeps its own trail in its own database (table ``audit_record``),
append-only and hash-chained (:mod:`shared.audit.records`). Recorded: every write
request (POST, PUT, PATCH, DELETE), every refusal (401, 403, 404, 413, 429) and every
read of need-to-know text that a use case marks with
:func:`shared.audit_marks.mark_sensitive_read`. Only the taskforce secretariat reads it
(``GET /v1/audit-records``, ``taskforce audit list``); ``taskforce audit verify`` checks
every service's chain.
"""

from shared.audit.context import AuditContext, note_caller, record_change
from shared.audit.records import (
    AuditEntry,
    ChainReport,
    Finding,
    append,
    audit_record,
    verify_chain,
)

__all__ = [
    "AuditContext",
    "AuditEntry",
    "ChainReport",
    "Finding",
    "append",
    "audit_record",
    "note_caller",
    "record_change",
    "verify_chain",
]

"""``GET /v1/audit-records``: a service's audit trail, for the taskforce secretariat only.

Every service mounts this router, so the secretariat reads each trail where it is kept.
Anyone else gets 403, which is itself recorded; a read of the trail is recorded as a
need-to-know read, so looking at the trail leaves a trace too.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlalchemy import func, select

from shared.audit.records import audit_record
from shared.audit_marks import mark_sensitive_read
from shared.http.auth import AuthenticatedCaller
from shared.http.models import ApiModel
from shared.http.pagination import Page, PageParams, page_params
from shared.http.problems import Problem

#: The one organisation that may read the audit trail.
AUDIT_READER: Final = "tf-secretariaat"

router = APIRouter(prefix="/audit-records", tags=["Audit trail"])


class AuditRecordOut(ApiModel):
    """One record of the trail: who did what to which object, when, from where, and the answer."""

    sequence_number: int = Field(description="Position in this service's chain, from 1.")
    recorded_at: str = Field(description="When it was recorded (UTC, RFC 3339).")
    service: str = Field(description="The service that recorded it.")
    kind: str = Field(description="`write`, `denied` or `read` (need-to-know data).")
    actor: str | None = Field(description="The person (token `sub`), if authenticated.")
    organisation: str | None = Field(description="The caller's organisation, if authenticated.")
    action: str = Field(description="HTTP method and route template.")
    object: str = Field(description="The request path, or the need-to-know object read.")
    result: int = Field(description="The HTTP status code of the answer.")
    origin: str | None = Field(description="The client's address.")
    token_id: str | None = Field(description="The bearer token's `jti` (never the token).")
    trace_id: str | None = Field(description="OpenTelemetry trace id of the request.")
    previous_hash: str = Field(description="Hash of the record before (64 zeros for the first).")
    hash: str = Field(description="SHA-256 over this record's canonical encoding.")


@router.get(
    "",
    operation_id="listAuditRecords",
    summary="The service's audit trail, newest first (the taskforce secretariat only)",
)
async def list_audit_records(
    caller: AuthenticatedCaller,
    request: Request,
    paging: Annotated[PageParams, Depends(page_params)],
) -> Page[AuditRecordOut]:
    if caller.organisation != AUDIT_READER:
        raise Problem(status=403, detail="Only the taskforce secretariat may read the audit trail.")
    runtime = request.app.state.runtime
    async with runtime.sessions() as session:
        total = int(await session.scalar(select(func.count()).select_from(audit_record)) or 0)
        rows = (
            await session.execute(
                select(audit_record)
                .order_by(audit_record.c.seq.desc())
                .offset(paging.offset)
                .limit(paging.page_size)
            )
        ).mappings()
        items = [
            AuditRecordOut(
                sequence_number=row["seq"],
                recorded_at=row["recorded_at"],
                service=row["service"],
                kind=row["kind"],
                actor=row["actor"],
                organisation=row["organisation"],
                action=row["action"],
                object=row["object"],
                result=row["result"],
                origin=row["origin"],
                token_id=row["token_id"],
                trace_id=row["trace_id"],
                previous_hash=row["prev_hash"],
                hash=row["hash"],
            )
            for row in rows
        ]
    mark_sensitive_read(request.scope, f"audit-records/page/{paging.page}")
    return Page[AuditRecordOut].of(items, total=total, params=paging, request=request)

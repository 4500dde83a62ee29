"""志愿服务记录证明 (民政部令第67号《志愿服务记录与证明出具办法》, 民发〔2015〕149号): who records
certifies (谁记录谁证明). A manager issues a certificate for one volunteer and one period from
the service records of the manager's sites: the volunteer's identity (name, gender, optional ID
number), the services with their hours and content (actual service, travel excluded), the total,
the issuing body with its person in charge, the handler (the manager who issues it) and a
contact phone, a number and a date.

**The register**: numbers are `ZM-<year>-<seq>` (e.g. `ZM-2026-0001`), the year the local year
of issue and the sequence the year's highest so far plus one, revoked certificates included, so
a number is never given twice (a unique (year, seq) guards two managers at once). What was
certified is kept on the row as issued, so a reprint says the same. A certificate is revoked
with a reason and stays in the register. The ID number is shown masked everywhere except on the
printed copy (`printable`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    AuditAction,
    Certificate,
    ServiceCategory,
    ServiceRecord,
    Site,
    User,
    WorkOrder,
)
from services import audit, scope, validate, volunteers
from services import settings as settings_service
from services.clock import day_range_utc, local_today
from services.errors import Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed

PREFIX = "ZM"
MAX_LINES = 2000
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def number(year: int, seq: int) -> str:
    return f"{PREFIX}-{year}-{seq:04d}"


def clean_id_number(value: str | None) -> str:
    """Empty, or an 18-character 居民身份证号码 whose check digit is right (GB 11643)."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if (len(value) != 18 or not value[:17].isdigit()
            or _ID_CHECK[sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS,
                                                         strict=True)) % 11] != value[17]):
        raise Invalid("error.id_number")
    return value


def masked_id(value: str) -> str:
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if value else ""


def _service(session: Session, volunteer_id: int, start: datetime, end: datetime,
             tz: str) -> list[dict]:
    rows = session.exec(
        select(ServiceRecord, WorkOrder.code, WorkOrder.title, ServiceCategory.name)
        .join(WorkOrder, WorkOrder.id == ServiceRecord.order_id, isouter=True)
        .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id, isouter=True)
        .where(ServiceRecord.volunteer_id == volunteer_id, ServiceRecord.served_at >= start,
               ServiceRecord.served_at < end)
        .order_by(ServiceRecord.served_at, ServiceRecord.id).limit(MAX_LINES)).all()
    out = []
    for rec, code, title, category in rows:
        source = rec.model_dump().get("source")
        out.append({"served_on": local_today(rec.served_at, tz).isoformat(), "code": code or "",
                    "source": getattr(source, "value", source) or "",
                    "content": title or "", "category": category or "",
                    "hours": round(rec.hours, 2)})
    return out


def _issuer(session: Session, actor: Actor, values: dict) -> dict:
    head, phone = values["certificate_head"].strip(), values["certificate_phone"].strip()
    if not head or not phone:
        raise Invalid("error.certificate_settings")
    body = values["certificate_body"].strip() or session.get(Site, actor.site_id).name
    return {"issuing_body": body, "person_in_charge": head, "handler": actor.display_name,
            "contact_phone": phone}


def issue(session: Session, *, actor: Actor, volunteer_id: int, period_from: date,
          period_to: date, id_number: str = "", now: datetime | None = None) -> Certificate:
    """Issue a certificate for a volunteer of the manager's sites and a period that has
    service; numbered from the register. One transaction."""
    ensure_allowed(actor, Action.ISSUE_CERTIFICATES)
    now = now or utcnow()
    values = settings_service.current(session)
    tz = values["timezone"]
    today = local_today(now, tz)
    if not period_from or not period_to:
        raise Invalid("error.period_required")
    if period_from > period_to:
        raise Invalid("error.period_order")
    if period_to > today:
        raise Invalid("error.period_future")
    id_number = clean_id_number(id_number)
    vol, site = volunteers.load_in_scope(session, actor, volunteer_id,
                                         Action.ISSUE_CERTIFICATES)
    start, end = day_range_utc(period_from, period_to, tz)
    lines = _service(session, vol.id, start, end, tz)
    if not lines:
        raise Invalid("error.certificate_no_service", name=vol.name,
                      start=period_from.isoformat(), end=period_to.isoformat())
    issuer = _issuer(session, actor, values)
    fields = {"volunteer_id": vol.id, "site_id": actor.site_id, "volunteer_name": vol.name,
              "gender": vol.gender.value, "id_number": id_number, "period_from": period_from,
              "period_to": period_to, "hours": round(sum(x["hours"] for x in lines), 2),
              "services": len(lines), "lines": lines, "issued_on": today, "issued_at": now,
              "issued_by_id": actor.id, **issuer}
    cert = _numbered(session, today.year, fields)
    audit.record(session, AuditAction.certificate_issue, actor_id=actor.id, target=cert.number,
                 detail=f"volunteer={vol.id} period={period_from}..{period_to} "
                        f"hours={cert.hours}", at=now)
    session.commit()
    return cert


def _numbered(session: Session, year: int, fields: dict) -> Certificate:
    """Insert with the year's next sequence number; a clash with a certificate another manager
    numbered at the same moment takes the next one (in a savepoint, so the rest stays)."""
    for _attempt in range(5):
        seq = (session.exec(select(func.max(Certificate.seq))
                            .where(Certificate.year == year)).one() or 0) + 1
        cert = Certificate(number=number(year, seq), year=year, seq=seq, **fields)
        try:
            with session.begin_nested():
                session.add(cert)
        except IntegrityError:
            continue
        return cert
    raise Invalid("error.certificate_busy")


def revoke(session: Session, *, actor: Actor, certificate_id: int, reason: str,
           now: datetime | None = None) -> Certificate:
    """Revoke a certificate with a reason; it stays in the register and its number is never
    given again. Once only; managers of the issuing site (or above)."""
    ensure_allowed(actor, Action.ISSUE_CERTIFICATES)
    reason = validate.text(reason, key="reason", maximum=200)
    now = now or utcnow()
    cert = _in_scope(session, actor, certificate_id)
    done = session.exec(update(Certificate).where(Certificate.id == cert.id,
                                                  Certificate.revoked_at.is_(None))
                        .values(revoked_at=now, revoked_by_id=actor.id, revoke_reason=reason)
                        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        session.rollback()
        raise Invalid("error.certificate_revoked", number=cert.number)
    audit.record(session, AuditAction.certificate_revoke, actor_id=actor.id, target=cert.number,
                 detail=f"reason={reason}", at=now)
    session.commit()
    session.refresh(cert)
    return cert


def _in_scope(session: Session, actor: Actor, certificate_id: int) -> Certificate:
    cert = session.get(Certificate, certificate_id)
    if cert is None or not session.get(Site, cert.site_id).path.startswith(actor.site_path):
        raise NotFound(what="certificate")
    return cert


def _row(cert: Certificate, by: str, printable: bool) -> dict:
    row = cert.model_dump()
    row["id_number"] = cert.id_number if printable else masked_id(cert.id_number)
    row["issued_by"] = by
    row["revoked"] = cert.revoked_at is not None
    return row


def register(session: Session, *, actor: Actor, search: str = "", offset: int = 0,
             limit: int = 50) -> tuple[list[dict], int]:
    """Every certificate issued by the actor's sites, newest first, revoked ones included, ID
    numbers masked; paginated in SQL."""
    ensure_allowed(actor, Action.ISSUE_CERTIFICATES)
    conds = [Certificate.site_id.in_(scope.sites_under(actor.site_path))]
    if search.strip():
        like = f"%{search.strip()}%"
        conds.append(or_(Certificate.number.like(like), Certificate.volunteer_name.like(like)))
    total = session.exec(select(func.count()).select_from(Certificate).where(*conds)).one()
    rows = session.exec(select(Certificate, User.display_name)
                        .join(User, User.id == Certificate.issued_by_id).where(*conds)
                        .order_by(Certificate.year.desc(), Certificate.seq.desc())
                        .offset(offset).limit(limit)).all()
    return [_row(c, by, printable=False) for c, by in rows], total


def get(session: Session, *, actor: Actor, certificate_id: int,
        printable: bool = False) -> dict:
    """One certificate as issued; `printable` gives the ID number in full, for the printed copy
    only."""
    ensure_allowed(actor, Action.ISSUE_CERTIFICATES)
    cert = _in_scope(session, actor, certificate_id)
    if printable and cert.revoked_at is not None:
        raise Invalid("error.certificate_revoked", number=cert.number)
    return _row(cert, session.get(User, cert.issued_by_id).display_name, printable)

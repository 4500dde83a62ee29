"""志愿者档案: one volunteer's record — profile, teams, every service record, hours by year, star
level with the hours to the next star, points and their ledger — the 星级 list of volunteers who
reached a new star in a period (for 公示), and both exported to Excel.

**Hours** are the sum of the volunteer's service records (志愿服务记录: actual service, travel
excluded), whatever they came from — an order's completion or another source such as station
duty; nothing else counts. **Stars** come from the cumulative hours by the thresholds
`star_1_hours` … `star_5_hours` (services/settings.star_level); hours are compared rounded to
two decimals, so 99.995 h of records is 100 h. **A new star in a period** means the stars from
all hours served before the period's first local day are fewer than those from all hours served
up to its last local day — read from the moments each star was reached (services/stars.py).
"""

from __future__ import annotations

import io
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, select

from core import db
from models import (
    AuditAction,
    OrderAction,
    OrderEvent,
    PointsEntry,
    PointsReason,
    ServiceCategory,
    ServiceRecord,
    Site,
    Skill,
    Team,
    Volunteer,
    VolunteerSkill,
    VolunteerStars,
    VolunteerTeam,
    WorkOrder,
)
from services import audit, points, scope, stars, volunteers, xlsx
from services import settings as settings_service
from services.clock import day_range_utc, local_today
from services.errors import Invalid
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed
from services.survey_import import Words

MAX_LINES = 5000
EXPORT_CHUNK = 1000


def star_progress(hours: float, values: dict) -> dict:
    """Stars for these cumulative hours, the next threshold and the hours still missing (None
    at five stars)."""
    hours = round(hours, 2)
    stars = settings_service.star_level(hours, values)
    nxt = values[f"star_{stars + 1}_hours"] if stars < 5 else None
    return {"stars": stars, "next_star_hours": nxt,
            "to_next": None if nxt is None else round(nxt - hours, 2)}


def _service_lines(session: Session, volunteer_id: int, tz: str) -> list[dict]:
    rows = session.exec(
        select(ServiceRecord, WorkOrder.code, WorkOrder.title, Team.name, ServiceCategory.name)
        .join(WorkOrder, WorkOrder.id == ServiceRecord.order_id, isouter=True)
        .join(Team, Team.id == WorkOrder.team_id, isouter=True)
        .join(ServiceCategory, ServiceCategory.id == WorkOrder.category_id, isouter=True)
        .where(ServiceRecord.volunteer_id == volunteer_id)
        .order_by(ServiceRecord.served_at.desc(), ServiceRecord.id.desc())
        .limit(MAX_LINES)).all()
    order_ids = [r.order_id for r, *_ in rows if r.order_id is not None]
    corrected: dict[int, str] = {}
    if order_ids:
        for oid, note in session.exec(
                select(OrderEvent.order_id, OrderEvent.note)
                .where(OrderEvent.order_id.in_(order_ids),
                       OrderEvent.action == OrderAction.correct.value)
                .order_by(OrderEvent.at, OrderEvent.id)):
            corrected[oid] = note  # the latest correction's reason
    out = []
    for rec, code, title, team, category in rows:
        # A record without an order (e.g. station duty) names where it came from instead.
        source = rec.model_dump().get("source")
        out.append({"served_on": local_today(rec.served_at, tz), "order_id": rec.order_id,
                    "code": code or "", "title": title or "", "team": team or "",
                    "category": category or "", "hours": rec.hours,
                    "source": getattr(source, "value", source) or "",
                    "corrected": rec.order_id in corrected,
                    "correction_reason": corrected.get(rec.order_id, "")})
    return out


def _corrections(session: Session, volunteer_id: int) -> list[dict]:
    """The points moved by corrections of this volunteer's hours, order by order (a correction
    that took the volunteer off an order leaves only this trace, and the order's history)."""
    rows = session.exec(select(PointsEntry, WorkOrder.code)
                        .join(WorkOrder, WorkOrder.id == PointsEntry.order_id)
                        .where(PointsEntry.volunteer_id == volunteer_id,
                               PointsEntry.reason == PointsReason.adjustment,
                               PointsEntry.order_id.is_not(None))
                        .order_by(PointsEntry.at.desc())).all()
    return [{"at": e.at, "code": code, "points": e.points} for e, code in rows]


def hours_by_year(session: Session, volunteer_id: int, values: dict) -> list[dict]:
    """Service hours per local calendar year, oldest first, summed in SQL."""
    year = func.substr(db.local_month(ServiceRecord.served_at, values["timezone"],
                                      db.dialect_of(session)), 1, 4)
    rows = session.exec(select(year, func.sum(ServiceRecord.hours), func.count())
                        .where(ServiceRecord.volunteer_id == volunteer_id)
                        .group_by(year).order_by(year)).all()
    return [{"year": int(y), "hours": round(float(h or 0), 2), "services": n}
            for y, h, n in rows]


def record(session: Session, *, actor: Actor, volunteer_id: int,
           now: datetime | None = None) -> dict:
    """One volunteer's 志愿者档案; managers of the volunteer's site (or above) only."""
    vol, site = volunteers.load_in_scope(session, actor, volunteer_id)
    values = settings_service.current(session)
    now = now or db.utcnow()
    team_rows = session.exec(
        select(Team.id, Team.name).join(VolunteerTeam, VolunteerTeam.team_id == Team.id)
        .where(VolunteerTeam.volunteer_id == vol.id).order_by(Team.name)).all()
    skill_rows = session.exec(
        select(Skill.id, Skill.name).join(VolunteerSkill, VolunteerSkill.skill_id == Skill.id)
        .where(VolunteerSkill.volunteer_id == vol.id).order_by(Skill.name)).all()
    total = session.exec(select(func.coalesce(func.sum(ServiceRecord.hours), 0))
                         .where(ServiceRecord.volunteer_id == vol.id)).one()
    standing = points.standing(session, vol.id, now=now, values=values)
    return {
        "profile": {"id": vol.id, "name": vol.name,
                    "phone": volunteers.phone_for(actor, site.path, vol.phone),
                    "gender": vol.gender.value, "site": site.name, "site_id": vol.site_id,
                    "party_member": vol.party_member, "skills": vol.skills,
                    "skill_ids": [i for i, _ in skill_rows],
                    "team_ids": [i for i, _ in team_rows],
                    "skill_names": NAME_SEP.join(n for _, n in skill_rows),
                    "title": vol.title, "registered_on": vol.registered_on,
                    "active": vol.active, "inactive_reason": vol.inactive_reason,
                    "inactive_on": vol.inactive_on},
        "teams": [n for _, n in team_rows],
        "hours": round(float(total), 2),
        **star_progress(float(total), values),
        "by_year": hours_by_year(session, vol.id, values),
        "service": _service_lines(session, vol.id, values["timezone"]),
        "corrections": _corrections(session, vol.id),
        "points": standing.__dict__,
        "ledger": points.ledger(session, vol.id),
    }


# --- 星级: new stars in a period ---------------------------------------------------------------


def new_stars(session: Session, *, actor: Actor, date_from: date, date_to: date,
              offset: int = 0, limit: int = 50) -> tuple[list[dict], int]:
    """Volunteers of the actor's sites who reached a new star within [date_from, date_to]
    (local days): most stars first, then who reached that level first. Read from the star
    moments (services/stars.py) — five per volunteer, not every service record — counted,
    filtered and paginated in SQL; the hours before and after are summed for the page only."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    if date_from > date_to:
        raise Invalid("error.period_order")
    values = settings_service.current(session)
    start, end = day_range_utc(date_from, date_to, values["timezone"])
    moments = [getattr(VolunteerStars, c) for c in stars.COLUMNS]
    after = sum(case((m < end, 1), else_=0) for m in moments)
    before = sum(case((m < start, 1), else_=0) for m in moments)
    # the moment of the highest star reached by the period's end (inside the period here)
    reached = case(*((m < end, m) for m in reversed(moments)))
    q = (select(Volunteer.id, Volunteer.name, Site.name, before.label("sb"), after.label("sa"))
         .join(VolunteerStars, VolunteerStars.volunteer_id == Volunteer.id)
         .join(Site, Site.id == Volunteer.site_id)
         .where(Volunteer.site_id.in_(scope.sites_under(actor.site_path)), after > before))
    rows = session.exec(q.add_columns(func.count().over().label("total"))
                        .order_by(after.desc(), reached, Volunteer.id)
                        .offset(offset).limit(limit)).all()
    if rows:
        total = rows[0][-1]
    else:  # past the last page (or nobody): the total needs its own count
        total = session.exec(select(func.count()).select_from(q.subquery())).one()
    hours = _hours_around(session, [r[0] for r in rows], start, end)
    return [{"id": vid, "name": name, "site": site, "hours_before": hours[vid][0],
             "hours_after": hours[vid][1], "stars_before": int(sb), "stars_after": int(sa)}
            for vid, name, site, sb, sa, _n in rows], total


def _hours_around(session: Session, volunteer_ids: list[int], start: datetime,
                  end: datetime) -> dict[int, tuple[float, float]]:
    """Cumulative hours before `start` and before `end` of a page of volunteers."""
    if not volunteer_ids:
        return {}
    r = ServiceRecord
    rows = session.exec(select(r.volunteer_id,
                               func.sum(case((r.served_at < start, r.hours), else_=0)),
                               func.sum(r.hours))
                        .where(r.volunteer_id.in_(volunteer_ids), r.served_at < end)
                        .group_by(r.volunteer_id)).all()
    found = {vid: (round(float(b), 2), round(float(a), 2)) for vid, b, a in rows}
    return {vid: found.get(vid, (0.0, 0.0)) for vid in volunteer_ids}


# --- exports ------------------------------------------------------------------------------------


def origin(words: Words, line: dict) -> str:
    """What a service record is of: the order's code, or where a record without an order came
    from (its source)."""
    return line["code"] or words(f"record.source.{line['source'] or 'other'}")


def _word_yes(words: Words, flag: bool) -> str:
    return words("common.yes") if flag else words("common.no")


def export_record(session: Session, *, actor: Actor, volunteer_id: int, words: Words) -> bytes:
    """One volunteer's record as a workbook: the profile, the service records, hours by year
    and the points ledger; audited."""
    rec = record(session, actor=actor, volunteer_id=volunteer_id)
    p = rec["profile"]
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    profile = [
        (words("volunteers.col.name"), p["name"]), (words("volunteers.col.phone"), p["phone"]),
        (words("volunteers.col.gender"), words(f"gender.{p['gender']}")),
        (words("volunteers.col.site"), p["site"]),
        (words("volunteers.col.teams"), NAME_SEP.join(rec["teams"])),
        (words("volunteers.col.party_member"), _word_yes(words, p["party_member"])),
        (words("record.skill_tags"), p["skill_names"]), (words("record.title_field"), p["title"]),
        (words("volunteers.skills"), p["skills"]),
        (words("record.registered_on"), p["registered_on"]),
        (words("volunteers.col.active"), _word_yes(words, p["active"])),
        (words("volunteers.col.hours"), rec["hours"]),
        (words("volunteers.col.stars"), rec["stars"]),
        (words("record.points_balance"), rec["points"]["balance"]),
        (words("record.points_available"), rec["points"]["available"])]
    xlsx.write_sheet(book, bold, words("record.sheet_profile"),
                     (words("record.field"), words("record.value")), profile, (16, 40))
    xlsx.write_sheet(book, bold, words("record.sheet_service"),
                     [words(f"record.col.{c}") for c in
                      ("served_on", "code", "title", "team", "hours", "corrected")],
                     [(r["served_on"], origin(words, r),
                       r["title"], r["team"], r["hours"],
                       r["correction_reason"] if r["corrected"] else "")
                      for r in rec["service"]], (12, 18, 30, 18, 8, 30))
    xlsx.write_sheet(book, bold, words("record.sheet_years"),
                     (words("record.col.year"), words("record.col.hours"),
                      words("record.col.services")),
                     [(y["year"], y["hours"], y["services"]) for y in rec["by_year"]], (8, 10, 10))
    tz = settings_service.current(session)["timezone"]
    xlsx.write_sheet(book, bold, words("record.sheet_ledger"),
                     [words(f"record.col.{c}") for c in
                      ("at", "points", "reason", "code", "note", "balance")],
                     [(local_today(e["at"], tz), e["points"],
                       words(f"record.reason.{e['reason']}"), e["order_code"], e["note"],
                       e["balance"]) for e in rec["ledger"]], (12, 8, 12, 18, 30, 10))
    book.close()
    audit.record(session, AuditAction.volunteer_record_export, actor_id=actor.id,
                 target=p["name"], detail=f"volunteer={p['id']}")
    session.commit()
    return buffer.getvalue()


LIST_COLUMNS = ("name", "phone", "gender", "site", "teams", "party_member", "hours", "stars",
                "points", "active")


def export_list(session: Session, *, actor: Actor, words: Words, search: str = "",
                team_id: int | None = None) -> bytes:
    """The volunteer list as filtered on screen, every page of it; audited."""
    ensure_allowed(actor, Action.MANAGE_VOLUNTEERS)
    rows, offset = [], 0
    while True:
        chunk, total = volunteers.page(session, actor=actor, search=search, team_id=team_id,
                                       offset=offset, limit=EXPORT_CHUNK)
        rows += chunk
        offset += EXPORT_CHUNK
        if offset >= total or not chunk:
            break
    body = [(r["name"], r["phone"], words(f"gender.{r['gender']}"), r["site"], r["teams"],
             _word_yes(words, r["party_member"]), r["hours"], r["stars"], r["points"],
             _word_yes(words, r["active"])) for r in rows]
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, words("volunteers.title"),
                     [words(f"volunteers.col.{c}") for c in LIST_COLUMNS], body,
                     (10, 14, 6, 14, 30, 6, 10, 6, 8, 6))
    book.close()
    audit.record(session, AuditAction.volunteers_export, actor_id=actor.id,
                 detail=f"rows={len(body)}")
    session.commit()
    return buffer.getvalue()

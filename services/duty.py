"""站点值班: service stations, their weekly opening hours, the duty rota and attendance.

Rules, in words:
- A **station** belongs to a site (a 站, or a named point in it); managers of that site keep it.
- **Opening hours** are weekly periods (weekday, start–end); periods of one weekday may not
  overlap. A **duty slot** (weekday, start–end, volunteers needed) lies within one opening
  period of its station.
- A volunteer is **assigned** to a slot every week from a start day to an end day (or open).
  One-off **changes** on one day: the assigned volunteer is absent, or swapped for a substitute.
- **Conflict**: a volunteer may not be on duty in two places at once — an assignment or a
  substitution is refused when, on some day, the same volunteer is already on duty at an
  overlapping time (any station).
- A slot's day is **short** when fewer volunteers are on duty than it needs.
- **Attendance**: after a slot's day has ended, the station's manager marks who came. Each
  volunteer marked present gets a service record of source 值班 (`ServiceSource.duty`, no
  order) for the slot's hours and the points those hours earn (services/points.py), in one
  transaction, once: marking the same day again writes nothing twice, and a present mark,
  once credited, cannot be taken back here.

Times of day are minutes after local midnight; weekdays 0 = Monday … 6 = Sunday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import utcnow
from models import (
    AttendanceStatus,
    DutyAssignment,
    DutyAttendance,
    DutyChange,
    DutyChangeKind,
    DutySlot,
    ServiceRecord,
    ServiceSource,
    Site,
    Station,
    StationHours,
    Volunteer,
)
from services import points, scope, stars, validate
from services import settings as settings_service
from services.clock import local_today
from services.errors import Duplicate, Invalid, NotFound
from services.permissions import Action, Actor, ensure_allowed, in_scope

MAX_NEEDED = 50
DAY_MINUTES = 24 * 60


def minutes(value: time | None) -> int:
    """A time of day as minutes after midnight."""
    if not isinstance(value, time):
        raise Invalid("error.duty_time")
    return value.hour * 60 + value.minute


def clock(value: int) -> str:
    """Minutes after midnight as HH:MM (24:00 for the end of the day)."""
    return f"{value // 60:02d}:{value % 60:02d}"


def _period(weekday, start: time | None, end: time | None, *, allow_midnight_end=True):
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        raise Invalid("error.duty_weekday")
    lo = minutes(start)
    hi = DAY_MINUTES if allow_midnight_end and end == time(0, 0) and lo > 0 else minutes(end)
    if hi <= lo:
        raise Invalid("error.end_before_start_time")
    return weekday, lo, hi


def _overlap(a_lo: int, a_hi: int, b_lo: int, b_hi: int) -> bool:
    return a_lo < b_hi and b_lo < a_hi


# --- stations and opening hours --------------------------------------------------------------


def _station_for(session: Session, actor: Actor, action: Action, station_id: int | None):
    ensure_allowed(actor, action)
    station = session.get(Station, station_id) if station_id else None
    if station is None or not in_scope(actor, session.get(Site, station.site_id).path):
        raise NotFound(what="station")
    return station


def create_station(session: Session, *, actor: Actor, site_id: int | None, name: str,
                   address: str = "", services: str = "") -> Station:
    """Open a service station of a site; managers of that site."""
    ensure_allowed(actor, Action.MANAGE_STATIONS)
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        raise Invalid("error.site_required")
    ensure_allowed(actor, Action.MANAGE_STATIONS, site_path=site.path)
    name = validate.text(name, key="station_name", maximum=60)
    address = validate.text(address, key="address", maximum=120, required=False)
    services = validate.text(services, key="station_services", maximum=300, required=False)
    if session.exec(select(Station.id).where(Station.site_id == site.id,
                                             Station.name == name)).first():
        raise Duplicate("error.station_taken", name=name)
    station = Station(site_id=site.id, name=name, address=address, services=services)
    session.add(station)
    session.commit()
    return station


def set_hours(session: Session, *, actor: Actor, station_id: int,
              periods: list[tuple[int, time, time]]) -> list[StationHours]:
    """Replace a station's weekly opening hours; periods of one weekday may not overlap."""
    station = _station_for(session, actor, Action.MANAGE_STATIONS, station_id)
    clean = sorted(_period(w, s, e) for w, s, e in periods)
    for (w1, lo1, hi1), (w2, lo2, hi2) in zip(clean, clean[1:], strict=False):
        if w1 == w2 and _overlap(lo1, hi1, lo2, hi2):
            raise Invalid("error.hours_overlap", start=clock(lo2), end=clock(hi1))
    for row in session.exec(select(StationHours).where(StationHours.station_id == station.id)):
        session.delete(row)
    session.flush()
    rows = [StationHours(station_id=station.id, weekday=w, start_minute=lo, end_minute=hi)
            for w, lo, hi in clean]
    session.add_all(rows)
    session.commit()
    return rows


def stations(session: Session, *, actor: Actor) -> list[dict]:
    """The actor's active stations with their site, opening hours and slots."""
    ensure_allowed(actor, Action.VIEW_ROTA)
    q = (select(Station, Site.name).join(Site, Site.id == Station.site_id)
         .where(Station.active).order_by(Site.path, Station.name))
    if not scope.whole_tree(session, actor):
        q = q.where(Station.site_id.in_(scope.sites_under(actor.site_path)))
    rows = session.exec(q).all()
    ids = [st.id for st, _ in rows]
    hours: dict[int, list[tuple[int, int, int]]] = {}
    for h in session.exec(select(StationHours).where(StationHours.station_id.in_(ids))
                          .order_by(StationHours.weekday, StationHours.start_minute)):
        hours.setdefault(h.station_id, []).append((h.weekday, h.start_minute, h.end_minute))
    return [{"id": st.id, "name": st.name, "site_id": st.site_id, "site": site,
             "address": st.address, "services": st.services, "hours": hours.get(st.id, [])}
            for st, site in rows]


# --- slots and assignments ---------------------------------------------------------------------


def add_slot(session: Session, *, actor: Actor, station_id: int, weekday, start: time | None,
             end: time | None, needed) -> DutySlot:
    """Add a weekly duty slot within one of the station's opening periods; managers."""
    station = _station_for(session, actor, Action.MANAGE_STATIONS, station_id)
    weekday, lo, hi = _period(weekday, start, end)
    needed = validate.whole(needed, key="duty_needed", minimum=1, maximum=MAX_NEEDED)
    opening = session.exec(select(StationHours).where(
        StationHours.station_id == station.id, StationHours.weekday == weekday,
        StationHours.start_minute <= lo, StationHours.end_minute >= hi)).first()
    if opening is None:
        raise Invalid("error.slot_outside_hours")
    slot = DutySlot(station_id=station.id, weekday=weekday, start_minute=lo, end_minute=hi,
                    needed=needed)
    session.add(slot)
    session.commit()
    return slot


def retire_slot(session: Session, *, actor: Actor, slot_id: int) -> DutySlot:
    """Stop a slot from the rota (its assignments and attendance stay in the history)."""
    slot = _slot_for(session, actor, Action.MANAGE_STATIONS, slot_id)
    slot.active = False
    session.add(slot)
    session.commit()
    return slot


def _slot_for(session: Session, actor: Actor, action: Action, slot_id: int | None) -> DutySlot:
    slot = session.get(DutySlot, slot_id) if slot_id else None
    if slot is None:
        ensure_allowed(actor, action)
        raise NotFound(what="duty_slot")
    _station_for(session, actor, action, slot.station_id)
    return slot


def _volunteer(session: Session, actor: Actor, volunteer_id: int | None) -> Volunteer:
    volunteer = session.get(Volunteer, volunteer_id) if volunteer_id else None
    if (volunteer is None or not volunteer.active
            or not in_scope(actor, session.get(Site, volunteer.site_id).path)):
        raise Invalid("error.volunteer_unknown")
    return volunteer


def _dates_overlap(start: date, end: date | None):
    """Assignments running on some day of [start, end] (end None: open)."""
    conds = [or_(DutyAssignment.ends_on.is_(None), DutyAssignment.ends_on >= start)]
    if end is not None:
        conds.append(DutyAssignment.starts_on <= end)
    return and_(*conds)


def _clash_text(session: Session, slot: DutySlot) -> dict:
    station = session.get(Station, slot.station_id)
    return {"station": station.name, "weekday": slot.weekday,
            "start": clock(slot.start_minute), "end": clock(slot.end_minute)}


def _assignment_clash(session: Session, volunteer_id: int, slot: DutySlot, start: date,
                      end: date | None, ignore_id: int | None = None) -> DutySlot | None:
    """Another assignment of this volunteer at an overlapping time on a shared day."""
    q = (select(DutySlot).join(DutyAssignment, DutyAssignment.slot_id == DutySlot.id)
         .where(DutyAssignment.volunteer_id == volunteer_id, DutySlot.active,
                DutySlot.weekday == slot.weekday, DutySlot.start_minute < slot.end_minute,
                DutySlot.end_minute > slot.start_minute, _dates_overlap(start, end)))
    if ignore_id is not None:
        q = q.where(DutyAssignment.id != ignore_id)
    return session.exec(q).first()


def _substitution_clash(session: Session, volunteer_id: int, slot: DutySlot, start: date,
                        end: date | None) -> DutySlot | None:
    """A one-off substitution of this volunteer at an overlapping time within the dates."""
    q = (select(DutySlot).join(DutyChange, DutyChange.slot_id == DutySlot.id)
         .where(DutyChange.substitute_id == volunteer_id, DutySlot.weekday == slot.weekday,
                DutySlot.start_minute < slot.end_minute, DutySlot.end_minute > slot.start_minute,
                DutyChange.on_date >= start))
    if end is not None:
        q = q.where(DutyChange.on_date <= end)
    return session.exec(q).first()


def assign(session: Session, *, actor: Actor, slot_id: int, volunteer_id: int,
           starts_on: date | None, ends_on: date | None = None) -> DutyAssignment:
    """Put a volunteer on a slot every week from a day (to an end day, or open); refused when
    they are on duty elsewhere at an overlapping time. Managers of the station's site."""
    slot = _slot_for(session, actor, Action.MANAGE_STATIONS, slot_id)
    if not slot.active:
        raise Invalid("error.slot_retired")
    volunteer = _volunteer(session, actor, volunteer_id)
    if not isinstance(starts_on, date):
        raise Invalid("error.duty_start")
    if ends_on is not None and ends_on < starts_on:
        raise Invalid("error.end_before_start")
    clash = (_assignment_clash(session, volunteer.id, slot, starts_on, ends_on)
             or _substitution_clash(session, volunteer.id, slot, starts_on, ends_on))
    if clash is not None:
        raise Invalid("error.duty_conflict", name=volunteer.name, **_clash_text(session, clash))
    row = DutyAssignment(slot_id=slot.id, volunteer_id=volunteer.id, starts_on=starts_on,
                         ends_on=ends_on, created_by_id=actor.id)
    session.add(row)
    session.commit()
    return row


def end_assignment(session: Session, *, actor: Actor, assignment_id: int,
                   ends_on: date | None) -> DutyAssignment:
    """End a volunteer's weekly duty on a day (kept in the history)."""
    row = session.get(DutyAssignment, assignment_id) if assignment_id else None
    if row is None:
        raise NotFound(what="duty_slot")
    _slot_for(session, actor, Action.MANAGE_STATIONS, row.slot_id)
    if not isinstance(ends_on, date):
        raise Invalid("error.duty_end")
    if ends_on < row.starts_on:
        raise Invalid("error.end_before_start")
    row.ends_on = ends_on
    session.add(row)
    session.commit()
    return row


def _check_day(slot: DutySlot, on_date) -> date:
    if not isinstance(on_date, date) or on_date.weekday() != slot.weekday:
        raise Invalid("error.duty_wrong_day", weekday=slot.weekday)
    return on_date


def _assigned_on(session: Session, slot_id: int, day: date) -> dict[int, str]:
    rows = session.exec(select(Volunteer.id, Volunteer.name)
                        .join(DutyAssignment, DutyAssignment.volunteer_id == Volunteer.id)
                        .where(DutyAssignment.slot_id == slot_id, DutyAssignment.starts_on <= day,
                               or_(DutyAssignment.ends_on.is_(None),
                                   DutyAssignment.ends_on >= day))).all()
    return dict(rows)


def change(session: Session, *, actor: Actor, slot_id: int, on_date: date | None,
           volunteer_id: int, kind: str, substitute_id: int | None = None,
           note: str = "") -> DutyChange:
    """A one-off change on one day of a slot: an assigned volunteer absent, or swapped for a
    substitute who is not on duty elsewhere at that time. Managers of the station's site."""
    slot = _slot_for(session, actor, Action.MANAGE_STATIONS, slot_id)
    day = _check_day(slot, on_date)
    try:
        kind = DutyChangeKind(kind)
    except ValueError:
        raise Invalid("error.duty_change_kind") from None
    assigned = _assigned_on(session, slot.id, day)
    if volunteer_id not in assigned:
        raise Invalid("error.duty_not_assigned")
    note = validate.text(note, key="note", maximum=200, required=False)
    substitute = None
    if kind is DutyChangeKind.swap:
        substitute = _volunteer(session, actor, substitute_id)
        if substitute.id in assigned or substitute.id in _substitutes(session, slot.id, day):
            raise Invalid("error.duty_already_on", name=substitute.name)
        clash = (_assignment_clash(session, substitute.id, slot, day, day)
                 or _substitution_clash(session, substitute.id, slot, day, day))
        if clash is not None:
            raise Invalid("error.duty_conflict", name=substitute.name,
                          **_clash_text(session, clash))
    row = DutyChange(slot_id=slot.id, on_date=day, volunteer_id=volunteer_id, kind=kind,
                     substitute_id=substitute.id if substitute else None, note=note,
                     created_by_id=actor.id)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Duplicate("error.duty_change_exists") from None
    return row


def _substitutes(session: Session, slot_id: int, day: date) -> dict[int, str]:
    return dict(session.exec(select(Volunteer.id, Volunteer.name)
                             .join(DutyChange, DutyChange.substitute_id == Volunteer.id)
                             .where(DutyChange.slot_id == slot_id,
                                    DutyChange.on_date == day)).all())


# --- the week's rota and who is on duty ---------------------------------------------------


@dataclass(frozen=True)
class RotaEntry:
    slot_id: int
    station_id: int
    station: str
    day: date
    start: int
    end: int
    needed: int
    on_duty: tuple[str, ...]        # names, substitutes included, absent and swapped-out not
    away: tuple[str, ...]           # assigned but absent or swapped out that day
    volunteer_ids: tuple[int, ...]  # of on_duty, in the same order

    @property
    def short(self) -> bool:
        return len(self.on_duty) < self.needed


def _slots_of(session: Session, actor: Actor, station_id: int | None):
    q = (select(DutySlot, Station.name).join(Station, Station.id == DutySlot.station_id)
         .where(DutySlot.active, Station.active))
    if station_id:
        q = q.where(DutySlot.station_id == station_id)
    if not scope.whole_tree(session, actor):
        q = q.where(Station.site_id.in_(scope.sites_under(actor.site_path)))
    return q


def rota(session: Session, *, actor: Actor, start: date, days: int = 7,
         station_id: int | None = None) -> list[RotaEntry]:
    """Every active slot's days in [start, start + days), with who is on duty after the
    one-off changes, in day and time order. Five queries, whatever the number of slots."""
    ensure_allowed(actor, Action.VIEW_ROTA)
    end = start + timedelta(days=days - 1)
    slots = session.exec(_slots_of(session, actor, station_id)).all()
    ids = [s.id for s, _ in slots]
    if not ids:
        return []
    names = {}
    assigned: dict[int, list[tuple[int, date, date | None]]] = {}
    for a in session.exec(select(DutyAssignment).where(DutyAssignment.slot_id.in_(ids),
                                                       _dates_overlap(start, end))):
        assigned.setdefault(a.slot_id, []).append((a.volunteer_id, a.starts_on, a.ends_on))
    changes: dict[tuple[int, date], list[DutyChange]] = {}
    for c in session.exec(select(DutyChange).where(DutyChange.slot_id.in_(ids),
                                                   DutyChange.on_date >= start,
                                                   DutyChange.on_date <= end)):
        changes.setdefault((c.slot_id, c.on_date), []).append(c)
    people = {v for rows in assigned.values() for v, _s, _e in rows}
    people |= {c.substitute_id for cs in changes.values() for c in cs if c.substitute_id}
    if people:
        names = dict(session.exec(select(Volunteer.id, Volunteer.name)
                                  .where(Volunteer.id.in_(people))).all())
    out = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for slot, station in slots:
            if slot.weekday != day.weekday():
                continue
            out.append(_entry(slot, station, day, assigned.get(slot.id, []),
                              changes.get((slot.id, day), []), names))
    return sorted(out, key=lambda e: (e.day, e.start, e.station, e.slot_id))


def _entry(slot: DutySlot, station: str, day: date, assigned, day_changes, names) -> RotaEntry:
    away = {c.volunteer_id for c in day_changes}
    regular = sorted({v for v, s, e in assigned if s <= day and (e is None or e >= day)},
                     key=lambda v: names.get(v, ""))
    subs = [c.substitute_id for c in day_changes if c.substitute_id]
    on = [v for v in regular if v not in away] + subs
    return RotaEntry(slot_id=slot.id, station_id=slot.station_id, station=station, day=day,
                     start=slot.start_minute, end=slot.end_minute, needed=slot.needed,
                     on_duty=tuple(names.get(v, "") for v in on),
                     away=tuple(names.get(v, "") for v in regular if v in away),
                     volunteer_ids=tuple(on))


def on_duty(session: Session, *, actor: Actor, now: datetime | None = None,
            station_id: int | None = None) -> tuple[list[RotaEntry], list[RotaEntry]]:
    """Today's slots (local time) and, of them, the ones running now."""
    now = now or utcnow()
    tz = settings_service.current(session)["timezone"]
    local = now.astimezone(ZoneInfo(tz))
    today = rota(session, actor=actor, start=local.date(), days=1, station_id=station_id)
    minute = local.hour * 60 + local.minute
    return today, [e for e in today if e.start <= minute < e.end]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- attendance ----------------------------------------------------------------------------------


def _slot_end_utc(slot: DutySlot, day: date, tz: str) -> datetime:
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)) + timedelta(
        minutes=slot.end_minute)
    return local.astimezone(ZoneInfo("UTC"))


def last_held(session: Session, *, slot_id: int, now: datetime) -> date:
    """The latest day of this slot that has ended by now (local time): what a manager marks
    attendance for, unless they choose another day."""
    slot = session.get(DutySlot, slot_id)
    tz = settings_service.current(session)["timezone"]
    day = local_today(now, tz)
    day -= timedelta(days=(day.weekday() - slot.weekday) % 7)
    if _slot_end_utc(slot, day, tz) > now:
        day -= timedelta(days=7)
    return day


def attendance(session: Session, *, actor: Actor, slot_id: int, on_date: date) -> dict[int, str]:
    """What has been marked for one day of a slot: volunteer id → status."""
    _slot_for(session, actor, Action.VIEW_ROTA, slot_id)
    return {a.volunteer_id: a.status.value for a in session.exec(
        select(DutyAttendance).where(DutyAttendance.slot_id == slot_id,
                                     DutyAttendance.on_date == on_date))}


def mark(session: Session, *, actor: Actor, slot_id: int, on_date: date | None,
         marks: dict[int, str], now: datetime | None = None) -> list[DutyAttendance]:
    """After a slot's day has ended, mark who came. Present → a 值班 service record of the slot's
    hours and its points, in this one transaction, written once. Managers of the station."""
    now = now or utcnow()
    slot = _slot_for(session, actor, Action.MANAGE_STATIONS, slot_id)
    day = _check_day(slot, on_date)
    tz = settings_service.current(session)["timezone"]
    ended = _slot_end_utc(slot, day, tz)
    if now < ended:
        raise Invalid("error.attendance_too_early", end=clock(slot.end_minute))
    if not marks:
        raise Invalid("error.attendance_required")
    entry = rota(session, actor=actor, start=day, days=1, station_id=slot.station_id)
    entry = next((e for e in entry if e.slot_id == slot.id), None)
    allowed_ids = set(entry.volunteer_ids if entry else ()) | set(
        _assigned_on(session, slot.id, day))
    statuses = {}
    for volunteer_id, status in marks.items():
        if volunteer_id not in allowed_ids:
            raise Invalid("error.duty_not_assigned")
        try:
            statuses[volunteer_id] = AttendanceStatus(status)
        except ValueError:
            raise Invalid("error.attendance_status") from None
    hours = round((slot.end_minute - slot.start_minute) / 60, 2)
    written = _write_marks(session, actor=actor, slot=slot, day=day, statuses=statuses,
                           hours=hours, served_at=ended, now=now)
    try:
        session.commit()
    except IntegrityError:  # another manager marked the same day at the same moment
        session.rollback()
        raise Invalid("error.attendance_changed") from None
    return written


def _write_marks(session: Session, *, actor: Actor, slot: DutySlot, day: date, statuses: dict,
                 hours: float, served_at: datetime, now: datetime) -> list[DutyAttendance]:
    existing = {a.volunteer_id: a for a in session.exec(
        select(DutyAttendance).where(DutyAttendance.slot_id == slot.id,
                                     DutyAttendance.on_date == day))}
    station = session.get(Station, slot.station_id).name
    note = f"{station} {day.isoformat()} {clock(slot.start_minute)}-{clock(slot.end_minute)}"
    written = []
    for volunteer_id, status in sorted(statuses.items()):
        row = existing.get(volunteer_id)
        if row is not None and row.status is AttendanceStatus.present:
            if status is not AttendanceStatus.present:
                session.rollback()
                raise Invalid("error.attendance_final")
            continue  # credited already: nothing is written twice
        if row is None:
            row = DutyAttendance(slot_id=slot.id, on_date=day, volunteer_id=volunteer_id,
                                 status=status, marked_by_id=actor.id, marked_at=now)
        row.status, row.marked_by_id, row.marked_at = status, actor.id, now
        row.hours = hours if status is AttendanceStatus.present else 0
        session.add(row)
        session.flush()
        if status is AttendanceStatus.present:
            session.add(ServiceRecord(order_id=None, volunteer_id=volunteer_id, hours=hours,
                                      served_at=served_at, source=ServiceSource.duty,
                                      attendance_id=row.id))
            points.credit_duty(session, volunteer_id=volunteer_id, hours=hours, note=note,
                               now=now)
        written.append(row)
    session.flush()
    stars.refresh(session, [r.volunteer_id for r in written
                            if r.status is AttendanceStatus.present],
                  values=settings_service.current(session))
    return written




def volunteer_choices(session: Session, *, actor: Actor, limit: int = 500) -> dict[int, str]:
    """Active volunteers of the actor's sites to put on duty: id → name."""
    ensure_allowed(actor, Action.VIEW_ROTA)
    q = (select(Volunteer.id, Volunteer.name).where(Volunteer.active)
         .order_by(Volunteer.name, Volunteer.id).limit(limit))
    if not scope.whole_tree(session, actor):
        q = q.where(Volunteer.site_id.in_(scope.sites_under(actor.site_path)))
    return dict(session.exec(q).all())


def slots(session: Session, *, actor: Actor, station_id: int) -> list[dict]:
    """A station's active slots with their current and future assignments."""
    _station_for(session, actor, Action.VIEW_ROTA, station_id)
    rows = session.exec(select(DutySlot).where(DutySlot.station_id == station_id,
                                               DutySlot.active)
                        .order_by(DutySlot.weekday, DutySlot.start_minute)).all()
    ids = [r.id for r in rows]
    people: dict[int, list[dict]] = {}
    for a, name in session.exec(select(DutyAssignment, Volunteer.name)
                                .join(Volunteer, Volunteer.id == DutyAssignment.volunteer_id)
                                .where(DutyAssignment.slot_id.in_(ids))
                                .order_by(DutyAssignment.starts_on)):
        people.setdefault(a.slot_id, []).append(
            {"id": a.id, "volunteer_id": a.volunteer_id, "name": name,
             "starts_on": a.starts_on, "ends_on": a.ends_on})
    return [{"id": r.id, "weekday": r.weekday, "start": r.start_minute, "end": r.end_minute,
             "needed": r.needed, "assignments": people.get(r.id, [])} for r in rows]

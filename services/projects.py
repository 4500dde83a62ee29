"""项目扶持: a site's yearly support list of volunteer-service projects, their spending, the
flagship mark, each project's figures for the year beside its money, candidates for next year,
and the Excel export.

Rules (the README's *项目扶持* section words them for users):
- A project belongs to the site of the manager who enters it and groups one or more active menu
  items; its **figures for a year** are its items' orders **done** (已完成 or 已评价) in that local
  calendar year in the project's site and below: 工单 (how many), 受益群众 (their actual
  beneficiaries), 服务时长 (their volunteers' hours), 好评率 (ratings ≥ 4 ÷ rated ones among them).
- The granted amount is at most `project_cap_yuan`; a site's list holds at most
  `projects_per_year` projects a year (both settings). Money is whole fen.
- Spending is recorded with a date (not in the future, not before the project's year) and a
  note; the total spent never exceeds the amount granted. **每受益群众成本** = spent ÷ the year's
  beneficiaries (none when nobody benefited).
- **Candidates for next year** are the active menu items with orders done in the year in the
  actor's sites, ranked by beneficiaries, then 好评率, then orders done, then name.
- Two managers adding the last place on a list at once: the site's row is locked first
  (PostgreSQL; SQLite has one writer), so the second is refused, never the 41st project.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func
from sqlmodel import Session, select

from core.db import count_where, utcnow
from models import (
    DONE,
    AuditAction,
    ProjectSpend,
    Rating,
    ServiceItem,
    ServiceRecord,
    Site,
    SupportProject,
    SupportProjectItem,
    WorkOrder,
    good_rating,
)
from services import audit, scope, validate, xlsx
from services import settings as settings_service
from services.clock import day_range_utc, local_today
from services.errors import Checks, Duplicate, Invalid, NotFound
from services.figures import half_up, percent_value, rate
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed
from services.survey_import import Words

MAX_NAME = 60
YEARS_BACK = 1  # a list can be kept for last year, this year and next year
FEN = 100


def to_fen(value, *, key: str = "project_amount") -> int:
    """Yuan as typed (20000, "1500.5", 99.99) → whole fen; more than two decimals, zero,
    negative or not a number is refused."""
    if isinstance(value, bool) or value is None or value == "":
        raise Invalid("error.money", field=key)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid("error.money", field=key) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise Invalid("error.money", field=key)
    return int(amount * FEN)


def yuan(fen: int | None) -> float | None:
    return None if fen is None else fen / FEN


def _this_year(session: Session, now: datetime | None) -> tuple[int, dict]:
    values = settings_service.current(session)
    return local_today(now or utcnow(), values["timezone"]).year, values


def _project_in_scope(session: Session, actor: Actor, project_id: int) -> SupportProject:
    project = session.get(SupportProject, project_id) if project_id else None
    if project is None or not session.get(Site, project.site_id).path.startswith(
            actor.site_path):
        raise NotFound(what="project")
    return project


def _items(session: Session, item_ids) -> list[int]:
    ids = list(dict.fromkeys(item_ids or ()))
    if not ids:
        raise Invalid("error.project_items_required")
    found = set(session.exec(select(ServiceItem.id).where(ServiceItem.id.in_(
        [i for i in ids if isinstance(i, int)]), ServiceItem.active)))
    if any(i not in found for i in ids):
        raise Invalid("error.item_unknown")
    return ids


def _checked(session: Session, actor: Actor, project: SupportProject | None, *, year, name,
             item_ids, amount, note, this_year: int, values: dict) -> tuple:
    """The project form's fields, every refusal at once: (year, name, fen, items, note)."""
    check = Checks()
    name = check(validate.text, name, key="project_name", maximum=MAX_NAME)
    note = check(validate.text, note, key="note", maximum=500, required=False)
    year = check(validate.whole, year, key="year", minimum=this_year - YEARS_BACK,
                 maximum=this_year + 1)
    fen = check(to_fen, amount)
    cap = values["project_cap_yuan"]
    if fen is not None and fen > cap * FEN:
        check.fail("error.project_over_cap", cap=f"{cap:,}")
    items = check(_items, session, item_ids)
    if project is not None and fen is not None:
        spent = _spent(session, [project.id]).get(project.id, 0)
        if fen < spent:
            check.fail("error.project_below_spent", spent=f"{yuan(spent):,.2f}")
    site_id = project.site_id if project else actor.site_id
    if name is not None and year is not None:
        clash = select(SupportProject.id).where(SupportProject.site_id == site_id,
                                                SupportProject.year == year,
                                                SupportProject.name == name)
        if project is not None:
            clash = clash.where(SupportProject.id != project.id)
        if session.exec(clash).first() is not None:
            check.problems.append(Duplicate("error.project_name_taken", name=name))
    check.done()
    return year, name, fen, items, note


def _ensure_room(session: Session, site_id: int, year: int, limit: int) -> None:
    """The list's length, checked with the site's row locked (see the module's docstring)."""
    session.exec(select(Site.id).where(Site.id == site_id).with_for_update()).one()
    listed = session.exec(select(func.count()).select_from(SupportProject).where(
        SupportProject.site_id == site_id, SupportProject.year == year)).one()
    if listed >= limit:
        raise Invalid("error.project_list_full", year=year, limit=limit)


def save(session: Session, *, actor: Actor, year, name: str, item_ids, amount,
         flagship: bool = False, note: str = "", project_id: int | None = None,
         now: datetime | None = None) -> SupportProject:
    """Enter a project on the actor's site's list for `year`, or edit one (name, items, amount,
    flagship, note); managers only. Every refusal of the form at once."""
    ensure_allowed(actor, Action.MANAGE_PROJECTS)
    this_year, values = _this_year(session, now)
    project = _project_in_scope(session, actor, project_id) if project_id else None
    year, name, fen, items, note = _checked(session, actor, project, year=year, name=name,
                                            item_ids=item_ids, amount=amount, note=note,
                                            this_year=this_year, values=values)
    site_id = project.site_id if project else actor.site_id
    if project is None or project.year != year:
        _ensure_room(session, site_id, year, values["projects_per_year"])
    if project is None:
        project = SupportProject(site_id=site_id, year=year, name=name, amount_fen=fen,
                                 flagship=bool(flagship), note=note, created_by_id=actor.id)
        session.add(project)
        session.flush()
    else:
        project.year, project.name, project.amount_fen = year, name, fen
        project.flagship, project.note = bool(flagship), note
        session.add(project)
        for link in session.exec(select(SupportProjectItem).where(
                SupportProjectItem.project_id == project.id)):
            session.delete(link)
        session.flush()
    for item_id in items:
        session.add(SupportProjectItem(project_id=project.id, item_id=item_id))
    audit.record(session, AuditAction.project_save, actor_id=actor.id, target=name[:100],
                 detail=f"project={project.id} year={year} amount_fen={fen} "
                        f"flagship={bool(flagship)} items={','.join(map(str, items))}")
    session.commit()
    return project


def spend(session: Session, *, actor: Actor, project_id: int, spent_on, amount, note: str,
          now: datetime | None = None) -> ProjectSpend:
    """Record money spent on a project; the total never passes the amount granted."""
    ensure_allowed(actor, Action.MANAGE_PROJECTS)
    this_year, values = _this_year(session, now)
    today = local_today(now or utcnow(), values["timezone"])
    # locked first: two records at once cannot both fit under the amount (PostgreSQL)
    project = session.exec(select(SupportProject).where(
        SupportProject.id == _project_in_scope(session, actor, project_id).id)
        .with_for_update()).one()
    check = Checks()
    fen = check(to_fen, amount, key="spend_amount")
    note = check(validate.text, note, key="spend_note", maximum=200)
    if not isinstance(spent_on, date) or isinstance(spent_on, datetime):
        check.fail("error.choose", field="spent_on")
    elif spent_on > today:
        check.fail("error.spent_in_future")
    elif spent_on.year < project.year:
        check.fail("error.spent_before_year", year=project.year)
    if fen is not None:
        spent = _spent(session, [project.id]).get(project.id, 0)
        if spent + fen > project.amount_fen:
            check.fail("error.project_overspent", left=f"{yuan(project.amount_fen - spent):,.2f}")
    check.done()
    row = ProjectSpend(project_id=project.id, spent_on=spent_on, amount_fen=fen, note=note,
                       created_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, AuditAction.project_spend, actor_id=actor.id, target=project.name[:100],
                 detail=f"project={project.id} spend={row.id} amount_fen={fen} on={spent_on}")
    session.commit()
    return row


def _spent(session: Session, project_ids: list[int]) -> dict[int, int]:
    if not project_ids:
        return {}
    return dict(session.exec(select(ProjectSpend.project_id, func.sum(ProjectSpend.amount_fen))
                             .where(ProjectSpend.project_id.in_(project_ids))
                             .group_by(ProjectSpend.project_id)).all())


@dataclass
class Figures:
    orders: int = 0
    beneficiaries: int = 0
    hours: float = 0.0
    rated: int = 0
    good: int = 0

    def add(self, other: Figures) -> None:
        self.orders += other.orders
        self.beneficiaries += other.beneficiaries
        self.hours += other.hours
        self.rated += other.rated
        self.good += other.good

    @property
    def good_rate(self) -> float | None:
        return percent_value(rate(self.good, self.rated))


def item_figures(session: Session, *, site_path: str, year: int, tz: str,
                 item_ids: list[int] | None = None) -> dict[int, Figures]:
    """Per menu item: its orders done in the local `year` in `site_path` and below (see the
    module's docstring). Two grouped statements, over the year's done orders only."""
    start, end = day_range_utc(date(year, 1, 1), date(year, 12, 31), tz)
    where = [WorkOrder.status.in_(DONE), WorkOrder.completed_at >= start,
             WorkOrder.completed_at < end, WorkOrder.item_id.is_not(None),
             WorkOrder.site_id.in_(scope.sites_under(site_path))]
    if item_ids is not None:
        where.append(WorkOrder.item_id.in_(item_ids))
    out: dict[int, Figures] = {}
    for item_id, n, people, rated, good in session.exec(
            select(WorkOrder.item_id, func.count(), func.coalesce(func.sum(
                WorkOrder.actual_beneficiaries), 0), func.count(Rating.id),
                count_where(good_rating(Rating.level)))
            .outerjoin(Rating, Rating.order_id == WorkOrder.id)
            .where(*where).group_by(WorkOrder.item_id)):
        out[item_id] = Figures(orders=n, beneficiaries=int(people), rated=rated, good=int(good))
    for item_id, hours in session.exec(
            select(WorkOrder.item_id, func.sum(ServiceRecord.hours))
            .join(ServiceRecord, ServiceRecord.order_id == WorkOrder.id)
            .where(*where).group_by(WorkOrder.item_id)):
        out.setdefault(item_id, Figures()).hours = float(hours or 0)
    return out


def year_list(session: Session, *, actor: Actor, year: int,
              now: datetime | None = None) -> list[dict]:
    """The projects of `year` on the lists of the actor's sites, flagship first, with their
    money and their figures for the year."""
    ensure_allowed(actor, Action.VIEW_PROJECTS)
    _this, values = _this_year(session, now)
    rows = session.exec(select(SupportProject, Site.name, Site.path)
                        .join(Site, Site.id == SupportProject.site_id)
                        .where(SupportProject.site_id.in_(scope.sites_under(actor.site_path)),
                               SupportProject.year == year)
                        .order_by(SupportProject.flagship.desc(), SupportProject.name,
                                  SupportProject.id)).all()
    ids = [p.id for p, _, _ in rows]
    links: dict[int, list[tuple[int, str]]] = {}
    for pid, iid, iname in session.exec(
            select(SupportProjectItem.project_id, ServiceItem.id, ServiceItem.title)
            .join(ServiceItem, ServiceItem.id == SupportProjectItem.item_id)
            .where(SupportProjectItem.project_id.in_(ids)).order_by(ServiceItem.title)):
        links.setdefault(pid, []).append((iid, iname))
    spent = _spent(session, ids)
    by_path: dict[str, dict[int, Figures]] = {}
    out = []
    for p, site, path in rows:
        if path not in by_path:
            by_path[path] = item_figures(session, site_path=path, year=year,
                                         tz=values["timezone"])
        fig = Figures()
        for iid, _ in links.get(p.id, []):
            fig.add(by_path[path].get(iid, Figures()))
        used = spent.get(p.id, 0)
        out.append({"id": p.id, "name": p.name, "site": site, "site_id": p.site_id,
                    "year": p.year, "flagship": p.flagship, "note": p.note,
                    "item_ids": [i for i, _ in links.get(p.id, [])],
                    "items": NAME_SEP.join(n for _, n in links.get(p.id, [])),
                    "amount": yuan(p.amount_fen), "spent": yuan(used),
                    "left": yuan(p.amount_fen - used),
                    "orders": fig.orders, "beneficiaries": fig.beneficiaries,
                    "hours": half_up(fig.hours, 1), "rated": fig.rated, "good": fig.good,
                    "good_rate": fig.good_rate,
                    "cost_per_beneficiary": half_up(yuan(used) / fig.beneficiaries, 2)
                    if fig.beneficiaries else None})
    return out


def spending(session: Session, *, actor: Actor, project_id: int) -> list[dict]:
    """A project's spending records, newest first."""
    ensure_allowed(actor, Action.VIEW_PROJECTS)
    project = _project_in_scope(session, actor, project_id)
    return [{"id": r.id, "spent_on": r.spent_on, "amount": yuan(r.amount_fen), "note": r.note}
            for r in session.exec(select(ProjectSpend).where(ProjectSpend.project_id == project.id)
                                  .order_by(ProjectSpend.spent_on.desc(), ProjectSpend.id.desc()))]


def candidates(session: Session, *, actor: Actor, year: int, limit: int | None = None,
               now: datetime | None = None) -> list[dict]:
    """Next year's candidates: the active menu items with orders done in `year` in the actor's
    sites, ranked by beneficiaries, then 好评率, then orders, then name; `supported` says
    whether the item is already in one of that year's projects of the actor's sites."""
    ensure_allowed(actor, Action.VIEW_PROJECTS)
    _this, values = _this_year(session, now)
    figures = item_figures(session, site_path=actor.site_path, year=year, tz=values["timezone"])
    if not figures:
        return []
    items = {i.id: i for i in session.exec(select(ServiceItem).where(
        ServiceItem.id.in_(list(figures)), ServiceItem.active))}
    supported = set(session.exec(
        select(SupportProjectItem.item_id).join(SupportProject,
                                                SupportProject.id == SupportProjectItem.project_id)
        .where(SupportProject.year == year,
               SupportProject.site_id.in_(scope.sites_under(actor.site_path)))))
    rows = [{"item_id": iid, "item": items[iid].title, "orders": f.orders,
             "beneficiaries": f.beneficiaries, "hours": half_up(f.hours, 1), "rated": f.rated,
             "good": f.good, "good_rate": f.good_rate, "supported": iid in supported}
            for iid, f in figures.items() if iid in items]
    rows.sort(key=lambda r: (-r["beneficiaries"],
                             -(r["good_rate"] if r["good_rate"] is not None else -1),
                             -r["orders"], r["item"], r["item_id"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows[:limit] if limit else rows


# The workbook's columns: (key of the row dict, header word key, width)
LIST_COLUMNS = (("name", "projects.col.name", 22), ("site", "projects.col.site", 14),
                ("items", "projects.col.items", 28), ("flagship", "projects.col.flagship", 10),
                ("amount", "projects.col.amount", 12), ("spent", "projects.col.spent", 12),
                ("left", "projects.col.left", 12), ("orders", "projects.col.orders", 10),
                ("beneficiaries", "projects.col.beneficiaries", 12),
                ("hours", "projects.col.hours", 12), ("good_rate", "projects.col.good_rate", 10),
                ("cost_per_beneficiary", "projects.col.cost_per_beneficiary", 14))
CANDIDATE_COLUMNS = (("rank", "projects.col.rank", 8), ("item", "projects.col.item", 28),
                     ("orders", "projects.col.orders", 10),
                     ("beneficiaries", "projects.col.beneficiaries", 12),
                     ("hours", "projects.col.hours", 12),
                     ("good_rate", "projects.col.good_rate", 10),
                     ("supported", "projects.col.supported", 10))


def _cell(key: str, value, words: Words):
    if isinstance(value, bool):
        return words("common.yes" if value else "common.no")
    if key == "good_rate" and value is not None:
        return value / 100  # a number the sheet shows as a percentage
    return value


def export(session: Session, *, actor: Actor, year: int, words: Words,
           now: datetime | None = None) -> bytes:
    """The year's list and next year's candidates as one workbook; audited."""
    ensure_allowed(actor, Action.VIEW_PROJECTS)
    listed = year_list(session, actor=actor, year=year, now=now)
    ranked = candidates(session, actor=actor, year=year, now=now)
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    share = book.add_format({"num_format": "0.0%"})
    for title, columns, rows in ((words("projects.sheet_list", year=year), LIST_COLUMNS, listed),
                                 (words("projects.sheet_candidates", year=year + 1),
                                  CANDIDATE_COLUMNS, ranked)):
        xlsx.write_sheet(book, bold, title, [words(h) for _, h, _ in columns],
                         [[_cell(k, r[k], words) for k, _, _ in columns] for r in rows],
                         [w for _, _, w in columns])
        sheet = book.get_worksheet_by_name(title)
        col = [k for k, _, _ in columns].index("good_rate")
        sheet.set_column(col, col, 10, share)
    book.close()
    audit.record(session, AuditAction.projects_export, actor_id=actor.id, target=str(year),
                 detail=f"projects={len(listed)} candidates={len(ranked)}")
    session.commit()
    return buffer.getvalue()

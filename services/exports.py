"""Excel exports of lists a manager or leader reads: the surveys and the service menu.

Each export is audited. The words (headers, states, flags) come from the caller's `words`, the
UI's translation function, so a workbook is in the reader's language; the survey export's first
columns are the import format (services/survey_import.py), so they read the same as a template.
"""

from __future__ import annotations

import io

from sqlmodel import Session, select

from models import (
    AuditAction,
    Household,
    Need,
    ServiceCategory,
    ServiceItem,
    Site,
    Survey,
    User,
    WorkOrder,
)
from services import audit, menu, needs, surveys, xlsx
from services.figures import percent_value
from services.permissions import Action, Actor, ensure_allowed
from services.survey_import import HEADERS, PRIORITY_NAMES, SHEET, Words

MAX_ROWS = 50_000


def _audited(session: Session, actor: Actor, action: AuditAction, rows: int) -> None:
    audit.record(session, action, actor_id=actor.id, detail=f"rows={rows}")
    session.commit()


def export_surveys(session: Session, *, actor: Actor, words: Words,
                   flt: surveys.SurveyFilter | None = None) -> bytes:
    """The filtered surveys, one row per need, with the need's state and order code."""
    ensure_allowed(actor, Action.RECORD_SURVEY)
    conds = surveys.conditions(session, actor, flt or surveys.SurveyFilter())
    # The household's head only (not its address or phone, which are personal data).
    q = (select(Survey, Site.name, User.display_name, ServiceCategory.name, ServiceItem.title,
                Need.text, Need.priority, needs.state(), WorkOrder.code, Household.head_name)
         .select_from(Need).join(Survey, Survey.id == Need.survey_id)
         .join(Site, Site.id == Survey.site_id).join(User, User.id == Survey.officer_id)
         .join(ServiceCategory, ServiceCategory.id == Need.category_id)
         .join(ServiceItem, ServiceItem.id == Need.item_id, isouter=True)
         .join(WorkOrder, WorkOrder.id == Need.order_id, isouter=True)
         .join(Household, Household.id == Survey.household_id, isouter=True)
         .where(*conds).order_by(Survey.surveyed_on.desc(), Survey.id.desc(), Need.id)
         .limit(MAX_ROWS))
    rows = [(site, sv.surveyed_on, sv.respondent, sv.people_covered, cat, item or "", text,
             PRIORITY_NAMES[priority], head or "", officer, words(f"need_state.{st}"), code or "")
            for sv, site, officer, cat, item, text, priority, st, code, head
            in session.exec(q).all()]
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, SHEET,
                     (*HEADERS, words("export.officer"), words("export.state"),
                      words("export.order_code")), rows,
                     (14, 12, 16, 10, 18, 22, 40, 10, 16, 12, 10, 18))
    book.close()
    _audited(session, actor, AuditAction.surveys_export, len(rows))
    return buffer.getvalue()


MENU_COLUMNS = ("menu.col.category", "menu.col.title", "menu.col.status",
                "menu.col.retired_reason", "menu.col.teams", "menu.col.needs",
                "menu.col.open_needs", "menu.col.orders", "menu.col.beneficiaries",
                "menu.col.ratings", "menu.col.average", "export.good_rate_percent",
                "menu.col.last_order_on", "menu.col.flags", "menu.description")


def export_menu(session: Session, *, actor: Actor, words: Words) -> bytes:
    """The menu with its figures and revision flags."""
    items = menu.review(session, actor=actor)
    rows = [(r["category"], r["title"], words("menu.active" if r["active"] else "menu.retired"),
             r["retired_reason"], r["teams"], r["needs"], r["open_needs"], r["orders"],
             r["beneficiaries"], r["ratings"], r["average"],
             percent_value(r["good_rate"]),
             r["last_order_on"],
             words("export.flag_separator").join(words(f"export.flag_{f['kind']}")
                                                  for f in r["flags"]),
             r["description"]) for r in items]
    buffer = io.BytesIO()
    book, bold = xlsx.workbook(buffer)
    xlsx.write_sheet(book, bold, words("menu.title"), [words(k) for k in MENU_COLUMNS], rows,
                     (18, 22, 8, 20, 30, 10, 10, 8, 10, 8, 10, 10, 12, 18, 40))
    book.close()
    _audited(session, actor, AuditAction.menu_export, len(rows))
    return buffer.getvalue()

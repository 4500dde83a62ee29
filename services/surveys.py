"""需求调查: an officer's visit — village, date, respondent, people covered — and the needs
(群众需求) heard there. Recording one is one transaction; the list is filtered and paged in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from core.db import utcnow
from models import Household, Need, NeedPriority, ServiceCategory, ServiceItem, Site, Survey, User
from services import scope, sites, validate
from services import settings as settings_service
from services.clock import local_today
from services.errors import Checks, Invalid, NotFound
from services.formats import NAME_SEP
from services.permissions import Action, Actor, ensure_allowed

MAX_NEEDS = 20          # per survey: a visit, not a census
MAX_PEOPLE = 100_000


@dataclass(frozen=True)
class NeedInput:
    """One line of the questionnaire as entered."""

    category_id: int | None
    priority: str
    text: str = ""
    item_id: int | None = None


@dataclass(frozen=True)
class CleanNeed:
    category_id: int
    item_id: int | None
    text: str
    priority: NeedPriority


def clean_need(session: Session, raw: NeedInput, *, categories: dict | None = None,
               items: dict | None = None) -> CleanNeed:
    """A need checked against the menu: an active category, an item of that category (optional),
    a priority, and some words or an item saying what is wanted."""
    category = (categories.get(raw.category_id) if categories is not None else
                session.get(ServiceCategory, raw.category_id) if raw.category_id else None)
    if category is None or not category.active:
        raise Invalid("error.category_required")
    if raw.item_id is not None:
        item = (items.get(raw.item_id) if items is not None
                else session.get(ServiceItem, raw.item_id))
        if item is None or not item.active or item.category_id != category.id:
            raise Invalid("error.item_category")
    try:
        priority = NeedPriority(raw.priority)
    except ValueError:
        raise Invalid("error.priority") from None
    text = validate.text(raw.text, key="need_text", maximum=500, required=raw.item_id is None)
    return CleanNeed(category.id, raw.item_id, text, priority)


def check_day(session: Session, surveyed_on, now: datetime) -> date:
    """A survey date: a date, and not later than today where the centre is."""
    if not isinstance(surveyed_on, date):
        raise Invalid("error.survey_date")
    if surveyed_on > local_today(now, settings_service.current(session)["timezone"]):
        raise Invalid("error.survey_date_future")
    return surveyed_on


def clean_visit(session: Session, *, actor: Actor, site_id: int | None, surveyed_on: date | None,
                respondent: str, people_covered, now: datetime) -> tuple[Site, date, str, int]:
    """The survey's own fields: a site in the actor's subtree, a date not in the future; every
    refusal at once."""
    site = session.get(Site, site_id) if site_id else None
    check = Checks()
    if site is None:
        check.fail("error.site_required")
    else:
        ensure_allowed(actor, Action.RECORD_SURVEY, site_path=site.path)
        check(sites.ensure_active, site)
    check(check_day, session, surveyed_on, now)
    respondent = check(validate.text, respondent, key="respondent", maximum=60)
    people = check(validate.whole, people_covered, key="people_covered", minimum=1,
                   maximum=MAX_PEOPLE)
    check.done()
    return site, surveyed_on, respondent, people


def household_of(session: Session, actor: Actor, household_id: int | None,
                 site_id: int | None) -> Household | None:
    """The registered household a survey was about (optional): within the actor's sites (another
    site's is not told of), still registered, and of the survey's 站."""
    if household_id is None:
        return None
    household = session.get(Household, household_id)
    if household is None or not session.get(Site, household.site_id).path.startswith(
            actor.site_path):
        raise NotFound(what="household")
    if not household.active:
        raise Invalid("error.survey_household.gone", name=household.head_name)
    if site_id is not None and household.site_id != site_id:
        raise Invalid("error.survey_household.site", name=household.head_name)
    return household


def record(session: Session, *, actor: Actor, site_id: int | None, surveyed_on: date | None,
           respondent: str, people_covered: int, needs: list[NeedInput],
           household_id: int | None = None, now: datetime | None = None) -> Survey:
    """Record a visit and its needs, all or nothing; officers and managers, within their sites.
    A registered household may be named: then an empty respondent is its head."""
    now = now or utcnow()
    ensure_allowed(actor, Action.RECORD_SURVEY)
    check = Checks()
    household = check(household_of, session, actor, household_id, site_id)
    if household is not None and not (respondent or "").strip():
        respondent = household.head_name[:60]
    visit = check(clean_visit, session, actor=actor, site_id=site_id, surveyed_on=surveyed_on,
                  respondent=respondent, people_covered=people_covered, now=now)
    if not needs:
        check.fail("error.needs_required")
    if len(needs) > MAX_NEEDS:
        check.fail("error.too_many_needs", maximum=MAX_NEEDS)
    clean = [check(clean_need, session, n) for n in needs[:MAX_NEEDS]]
    check.done()
    site, day, respondent, people = visit
    survey = write(session, actor=actor, site_id=site.id, surveyed_on=day, respondent=respondent,
                   people_covered=people, needs=clean, now=now,
                   household_id=household.id if household else None)
    session.commit()
    return survey


def write(session: Session, *, actor: Actor, site_id: int, surveyed_on: date, respondent: str,
          people_covered: int, needs: list[CleanNeed], now: datetime,
          household_id: int | None = None) -> Survey:
    """Add an already validated survey and its needs; the caller commits."""
    survey = Survey(officer_id=actor.id, site_id=site_id, surveyed_on=surveyed_on,
                    respondent=respondent, people_covered=people_covered, created_at=now,
                    household_id=household_id)
    session.add(survey)
    session.flush()
    for n in needs:
        session.add(Need(survey_id=survey.id, category_id=n.category_id, item_id=n.item_id,
                         text=n.text, priority=n.priority))
    session.flush()
    return survey


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyFilter:
    site_id: int | None = None
    officer_id: int | None = None
    category_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def of_actor(session: Session, actor: Actor) -> list:
    """The actor's surveys as conditions on Survey ([] for the whole tree)."""
    if scope.whole_tree(session, actor):
        return []
    return [Survey.site_id.in_(scope.sites_under(actor.site_path))]


def conditions(session: Session, actor: Actor, flt: SurveyFilter) -> list:
    conds = of_actor(session, actor)
    if flt.site_id:
        conds.append(Survey.site_id.in_(scope.sites_under_id(session, flt.site_id)))
    if flt.officer_id:
        conds.append(Survey.officer_id == flt.officer_id)
    if flt.category_id:
        conds.append(Survey.id.in_(select(Need.survey_id)
                                   .where(Need.category_id == flt.category_id)))
    if flt.date_from:
        conds.append(Survey.surveyed_on >= flt.date_from)
    if flt.date_to:
        conds.append(Survey.surveyed_on <= flt.date_to)
    return conds


def page(session: Session, *, actor: Actor, flt: SurveyFilter = SurveyFilter(), offset: int = 0,
         limit: int = 50) -> tuple[list[dict], int]:
    """Surveys the actor may see, newest first, one page at a time, with their needs' count."""
    ensure_allowed(actor, Action.RECORD_SURVEY)
    conds = conditions(session, actor, flt)
    total = session.exec(select(func.count()).select_from(Survey).where(*conds)).one()
    ids = list(session.exec(select(Survey.id).where(*conds)
                            .order_by(Survey.surveyed_on.desc(), Survey.id.desc())
                            .offset(offset).limit(limit)))
    return rows_for(session, ids), total


def rows_for(session: Session, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    counts = dict(session.exec(select(Need.survey_id, func.count()).where(Need.survey_id.in_(ids))
                               .group_by(Need.survey_id)).all())
    cats: dict[int, list[str]] = {}
    for sid, name in session.exec(select(Need.survey_id, ServiceCategory.name).distinct()
                                  .join(ServiceCategory, ServiceCategory.id == Need.category_id)
                                  .where(Need.survey_id.in_(ids))).all():
        cats.setdefault(sid, []).append(name)
    rows = session.exec(select(Survey, Site.name, User.display_name)
                        .join(Site, Site.id == Survey.site_id)
                        .join(User, User.id == Survey.officer_id)
                        .where(Survey.id.in_(ids))).all()
    by_id = {sv.id: (sv, site, officer) for sv, site, officer in rows}
    out = []
    for sid in ids:
        sv, site, officer = by_id[sid]
        out.append({"id": sv.id, "surveyed_on": sv.surveyed_on, "site": site,
                    "respondent": sv.respondent, "people_covered": sv.people_covered,
                    "officer": officer, "needs": counts.get(sid, 0),
                    "categories": NAME_SEP.join(sorted(cats.get(sid, [])))})
    return out


def officers(session: Session, *, actor: Actor) -> dict[int, str]:
    """Who has recorded surveys in the actor's sites, for the filter."""
    ids = select(Survey.officer_id).where(*of_actor(session, actor)).distinct()
    return dict(session.exec(select(User.id, User.display_name).where(User.id.in_(ids))
                             .order_by(User.display_name)).all())

"""Every service entry point a form or a link reaches, fed hostile input by hypothesis: any text
(control, bidi, surrogate, huge), numbers of every kind, wrong types, unknown ids. The only
exception allowed out is a DomainError (a message key for the user); anything else — an
IntegrityError, a TypeError, an encoding error — is a crash a user would see.

The default run tries EXAMPLES of each (tests/services/test_fuzz_entry_points.py); the soak run
2,000 (tests/soak/test_fuzz_soak.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import db
from models import Role, SiteLevel
from services import (
    campaigns,
    catalog,
    completions,
    follow_ups,
    needs,
    orders,
    progress_links,
    rating_links,
    ratings,
    sites,
    survey_import,
    surveys,
    teams,
    users,
    volunteers,
)
from services import (
    settings as settings_service,
)
from services.errors import DomainError
from tests.services.steps import S, order_in

EXAMPLES = 10

# Text as users (and attackers) type it: anything Unicode has, often short, sometimes huge.
TEXT = st.one_of(st.text(max_size=30), st.text(max_size=3000),
                 st.sampled_from(["", " ", "\u202e", "\x00", "\ud800", "=HYPERLINK(\"x\")",
                                  "<script>", "a" * 100_000, "１３８００１３８０００"]))
ANY = st.one_of(TEXT, st.none(), st.integers(), st.floats(), st.booleans(),
                st.lists(st.integers(), max_size=3))
NUMBER = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), TEXT,
                   st.none(), st.booleans())
# Ids come from the app's own widgets (a select box, a table row), never typed: any integer a
# database can hold, or none. (Text or a 20-digit number as an id would be a programming error,
# not input.)
ID = st.one_of(st.integers(-3, 50), st.integers(-(2**63), 2**63 - 1), st.none())
DAY = st.one_of(st.dates(date(1900, 1, 1), date(2200, 1, 1)), st.none())


def _place(s, town, d):
    orders.place(s, actor=town.officer, site_id=d.draw(st.one_of(st.just(town.village_a), ID)),
                 category_id=d.draw(st.one_of(st.just(town.category), ID)), title=d.draw(TEXT),
                 source=d.draw(st.one_of(st.just("walk_in"), TEXT)),
                 description=d.draw(TEXT), requester_name=d.draw(TEXT),
                 requester_phone=d.draw(TEXT), due_on=d.draw(DAY),
                 expected_beneficiaries=d.draw(NUMBER))


def _dispatch(s, town, d):
    order = order_in(s, town, S.submitted)
    orders.dispatch(s, actor=town.manager, order_id=d.draw(st.one_of(st.just(order.id), ID)),
                    team_id=d.draw(st.one_of(st.just(town.team_a), ID)))


def _accept_decline_cancel(s, town, d):
    order = order_in(s, town, S.dispatched)
    which = d.draw(st.sampled_from(["accept", "decline", "cancel"]))
    if which == "accept":
        orders.accept(s, actor=town.lead_a, order_id=order.id, planned_on=d.draw(DAY))
    elif which == "decline":
        orders.decline(s, actor=town.lead_a, order_id=order.id, reason=d.draw(TEXT))
    else:
        orders.cancel(s, actor=town.manager, order_id=order.id, reason=d.draw(TEXT))


def _complete(s, town, d):
    order = order_in(s, town, S.accepted)
    done = completions.Completion(
        beneficiaries=d.draw(st.dictionaries(st.one_of(st.just("general"), TEXT), NUMBER,
                                             max_size=3)),
        hours=d.draw(st.dictionaries(st.one_of(st.sampled_from(town.volunteers_a), ID), NUMBER,
                                     max_size=3)),
        note=d.draw(TEXT))
    completions.complete(s, actor=town.lead_a, order_id=order.id, done=done)


def _rate(s, town, d):
    order = order_in(s, town, S.completed)
    ratings.rate(s, actor=town.officer, order_id=order.id, level=d.draw(NUMBER),
                 comment=d.draw(TEXT), channel=d.draw(st.one_of(st.just("call"), TEXT)))


def _rating_link(s, town, d):
    order = order_in(s, town, S.completed)
    token = rating_links.issue(s, actor=town.manager, order_id=order.id)
    rating_links.rate(s, token=d.draw(st.one_of(st.just(token), TEXT, st.none())),
                      order_id=d.draw(st.one_of(st.just(order.id), ID)), level=d.draw(NUMBER),
                      comment=d.draw(TEXT))


def _progress_link(s, town, d):
    order = order_in(s, town, d.draw(st.sampled_from([S.submitted, S.completed])))  # late now
    token = progress_links.issue(s, actor=town.officer, order_id=order.id).token
    token = d.draw(st.one_of(st.just(token), TEXT, st.none(), ANY))
    order_id = d.draw(st.one_of(st.just(order.id), ID))
    which = d.draw(st.sampled_from(["view", "urge", "rate"]))
    if which == "view":
        progress_links.view(s, token=token)
    elif which == "urge":
        progress_links.urge(s, token=token, order_id=order_id)
    else:
        progress_links.rate(s, token=token, order_id=order_id, level=d.draw(NUMBER),
                            comment=d.draw(TEXT))


def _follow_up(s, town, d):
    order = order_in(s, town, S.completed)
    ratings.rate(s, actor=town.officer, order_id=order.id, level=1)
    follow_ups.record(s, actor=town.officer, order_id=order.id, outcome=d.draw(TEXT),
                      level=d.draw(st.one_of(st.none(), NUMBER)))


def _survey(s, town, d):
    need = surveys.NeedInput(category_id=d.draw(st.one_of(st.just(town.category), ID)),
                             priority=d.draw(st.one_of(st.just("hear"), TEXT)),
                             text=d.draw(TEXT), item_id=d.draw(st.one_of(st.none(), ID)))
    surveys.record(s, actor=town.officer, site_id=d.draw(st.one_of(st.just(town.village_a), ID)),
                   surveyed_on=d.draw(DAY), respondent=d.draw(TEXT),
                   people_covered=d.draw(NUMBER), needs=[need])


def _need_to_order_and_close(s, town, d):
    survey = surveys.record(s, actor=town.officer, site_id=town.village_a,
                            surveyed_on=date(2026, 3, 1), respondent="李家", people_covered=2,
                            needs=[surveys.NeedInput(category_id=town.category, priority="hear",
                                                     text="讲座")])
    need_id = survey.needs[0].id if hasattr(survey, "needs") else None
    from sqlmodel import select

    from models import Need

    need_id = need_id or s.exec(select(Need.id).order_by(Need.id.desc())).first()
    if d.draw(st.booleans()):
        needs.close(s, actor=town.officer, need_id=need_id, reason=d.draw(TEXT))
    else:
        needs.to_order(s, actor=town.officer, need_ids=[need_id], title=d.draw(TEXT),
                       description=d.draw(TEXT), due_on=d.draw(DAY),
                       expected_beneficiaries=d.draw(NUMBER), requester_name=d.draw(TEXT),
                       requester_phone=d.draw(TEXT))


def _catalog(s, town, d):
    which = d.draw(st.sampled_from(["category", "item", "retire"]))
    if which == "category":
        catalog.create_category(s, actor=town.manager, name=d.draw(TEXT))
    elif which == "item":
        catalog.create_item(s, actor=town.manager, title=d.draw(TEXT),
                            category_id=d.draw(st.one_of(st.just(town.category), ID)),
                            description=d.draw(TEXT))
    else:
        item = catalog.create_item(s, actor=town.manager, title="反诈宣传",
                                   category_id=town.category)
        catalog.retire_item(s, actor=town.manager, item_id=item.id, reason=d.draw(TEXT))


def _team(s, town, d):
    teams.create(s, actor=town.manager, name=d.draw(TEXT),
                 tier=d.draw(st.one_of(st.just("squad"), TEXT)),
                 site_id=d.draw(st.one_of(st.just(town.station), ID)),
                 parent_id=d.draw(st.one_of(st.just(town.team_a), st.none(), ID)),
                 category_ids=[town.category], lead_name=d.draw(TEXT), phone=d.draw(TEXT))


def _volunteer(s, town, d):
    volunteers.create(s, actor=town.manager, name=d.draw(TEXT), phone=d.draw(TEXT),
                      gender=d.draw(st.one_of(st.just("female"), TEXT)),
                      site_id=d.draw(st.one_of(st.just(town.village_a), ID)),
                      party_member=d.draw(ANY), skills=d.draw(TEXT),
                      registered_on=d.draw(st.one_of(st.just(date(2025, 1, 1)), DAY)),
                      team_ids=d.draw(st.one_of(st.just((town.team_a,)), st.lists(ID, max_size=2))))


def _account(s, town, d):
    users.create(s, actor=town.manager, username=d.draw(TEXT), display_name=d.draw(TEXT),
                 role=d.draw(st.one_of(st.just(Role.officer), st.sampled_from(list(Role)))),
                 site_id=d.draw(st.one_of(st.just(town.village_a), ID)),
                 team_id=d.draw(st.one_of(st.none(), st.just(town.team_a), ID)),
                 phone=d.draw(TEXT), password=d.draw(st.one_of(st.none(), TEXT)))


def _login(s, town, d):
    users.verify_login(s, username=d.draw(st.one_of(st.just("off"), TEXT)),
                       password=d.draw(TEXT), client=d.draw(TEXT))


def _password(s, town, d):
    users.change_password(s, user_id=town.officer.id, old_password=d.draw(TEXT),
                          new_password=d.draw(TEXT))


def _site(s, town, d):
    sites.create(s, name=d.draw(TEXT),
                 level=d.draw(st.one_of(st.just(SiteLevel.point), st.sampled_from(SiteLevel))),
                 parent_id=d.draw(st.one_of(st.just(town.station), st.none(), ID)))


def _settings(s, town, d):
    from core.config import BUSINESS_SETTINGS

    key = d.draw(st.one_of(st.sampled_from([b.key for b in BUSINESS_SETTINGS]), TEXT))
    settings_service.update(s, actor=town.manager, values={key: d.draw(ANY)})


def _review(s, town, d):
    from services import review

    order = order_in(s, town, S.in_review)
    order_id = d.draw(st.one_of(st.just(order.id), ID))
    if d.draw(st.booleans()):
        review.approve(s, actor=town.manager, order_id=order_id)
    else:
        review.send_back(s, actor=town.manager, order_id=order_id, reason=d.draw(TEXT))


def _import(s, town, d):
    content = d.draw(st.one_of(st.binary(max_size=2000),
                               st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b)))
    survey_import.preview(s, actor=town.manager, content=content)


def _campaign(s, town, d):
    target = st.builds(campaigns.TargetInput, site_id=st.one_of(st.just(town.village_a), ID),
                       team_id=st.one_of(st.just(town.team_a), ID),
                       expected_beneficiaries=NUMBER)
    made = campaigns.create(
        s, actor=town.manager, title=d.draw(TEXT),
        category_id=d.draw(st.one_of(st.just(town.category), ID)), item_id=d.draw(ID),
        description=d.draw(TEXT), starts_on=d.draw(st.one_of(DAY, ANY)),
        ends_on=d.draw(st.one_of(DAY, ANY)),
        targets=d.draw(st.one_of(st.lists(target, max_size=4), ANY)))
    campaigns.issue(s, actor=town.manager, campaign_id=d.draw(st.one_of(st.just(made.id), ID)))


ENTRY_POINTS: dict[str, Callable] = {
    "orders.place": _place, "orders.dispatch": _dispatch,
    "orders.accept/decline/cancel": _accept_decline_cancel, "completions.complete": _complete,
    "ratings.rate": _rate, "rating_links.rate": _rating_link,
    "progress_links.view/urge/rate": _progress_link, "follow_ups.record": _follow_up,
    "surveys.record": _survey, "needs.to_order/close": _need_to_order_and_close,
    "catalog": _catalog, "teams.create": _team, "volunteers.create": _volunteer,
    "users.create": _account, "users.verify_login": _login,
    "users.change_password": _password, "sites.create": _site, "settings.update": _settings,
    "survey_import.preview": _import, "review.approve/send_back": _review,
    "campaigns.create/issue": _campaign,
}


def fuzz(name: str, db_url: str, town, examples: int) -> None:
    """Run one entry point `examples` times; fail on any exception but a DomainError."""
    body = ENTRY_POINTS[name]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        with db.write_session(db_url) as s:
            try:
                body(s, town, data)
            except DomainError:
                s.rollback()

    run()

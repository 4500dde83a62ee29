"""满意度 after the recount: the 回访 tiles follow the chosen period, to its end date."""

from __future__ import annotations

from datetime import timedelta

from core import db
from services import completions, orders, ratings
from tests import factories
from tests.pages.conftest import goto, open_app, run, zh
from ui.i18n import catalog

DAY = timedelta(days=1)


def test_the_follow_up_tiles_count_the_chosen_period_not_up_to_today(world):
    """A 差评 60 days ago was due 45 days ago and never followed up. A period that ends 50
    days ago has no follow-up due in it: 回访率 shows —, not the 0 % of the days up to today."""
    town = world.town
    now = db.utcnow()
    with db.write_session(world.url) as s:
        order = factories.place(s, town, now=now - 80 * DAY, due_on=None)
        orders.dispatch(s, actor=town.manager, order_id=order.id, team_id=town.team_a,
                        now=now - 79 * DAY)
        orders.accept(s, actor=town.lead_a, order_id=order.id, now=now - 78 * DAY)
        completions.complete(s, actor=town.lead_a, order_id=order.id, now=now - 61 * DAY,
                             done=completions.Completion(beneficiaries={"general": 3},
                                                         hours={town.volunteers_a[0]: 1}))
        ratings.rate(s, actor=town.officer, order_id=order.id, level=2, comment="没人来",
                     now=now - 60 * DAY)
    at = goto(open_app(town.leader), "satisfaction.py")
    today = now.astimezone().date()
    at.date_input(key="satisfaction_period").set_value((today - 100 * DAY, today - 50 * DAY))
    run(at)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[zh("follow_ups.rate")] == "—"
    caption = catalog("zh")["follow_ups.window"].format(
        start=(today - 100 * DAY).isoformat(), end=(today - 50 * DAY).isoformat())
    assert caption in [c.value for c in at.caption]
    # and a period that reaches the due date counts it, as not done
    at.date_input(key="satisfaction_period").set_value((today - 100 * DAY, today - 40 * DAY))
    run(at)
    assert {m.label: m.value for m in at.metric}[zh("follow_ups.rate")] == "0.0%"

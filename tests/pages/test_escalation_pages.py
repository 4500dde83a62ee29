"""催办督办 driven through its widgets: the manager picks a late order and urges it, the team
lead sees the urge on the order, a leader reads the list without a form."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core import db
from models import OrderEvent
from services import orders
from tests.factories import place
from tests.pages.conftest import goto, open_app, select_code, submit, table, values, zh


def _late_dispatched(world):
    """An order of team A dispatched nine days ago and never accepted: late, escalated."""
    long_ago = db.utcnow() - timedelta(days=10)
    with db.write_session(world.url) as s:
        order = place(s, world.town, now=long_ago, title="独居老人探访", due_on=None)
        orders.dispatch(s, actor=world.town.manager, order_id=order.id, team_id=world.town.team_a,
                        now=long_ago + timedelta(days=1))
        return order.id, order.code


def test_the_manager_urges_a_late_order_and_the_lead_sees_it(world):
    order_id, code = _late_dispatched(world)
    at = goto(open_app(world.town.manager), "escalation.py")
    rows = table(at, "overdue_table")
    row = rows[rows["code"] == code].iloc[0]
    assert (row["stage"], row["urges"]) == (zh("overdue.stage_escalate"), 0)
    at = select_code(at, "overdue_table", code)
    submit(at, zh("overdue.urge"))  # no note: refused in words, nothing written
    assert zh("error.required", field=zh("field.urge_note")) in values(at.error)
    note = next(w for w in at.text_area if w.key.endswith("_note"))
    note.input("请今天内联系群众并接单")
    submit(at, zh("overdue.urge"))
    assert values(at.success) == [zh("overdue.urged_done", code=code)]
    with db.session(world.url) as s:
        urges = s.exec(select(OrderEvent.note).where(OrderEvent.order_id == order_id,
                                                     OrderEvent.action == "urge")).all()
    assert urges == ["请今天内联系群众并接单"]
    lead = goto(open_app(world.town.lead_a), "my_orders.py")
    lead = select_code(lead, "my_orders_table_dispatched", code)
    assert any("请今天内联系群众并接单" in w and "1" in w for w in values(lead.warning))


def test_a_leader_reads_the_list_and_cannot_urge(world):
    _, code = _late_dispatched(world)
    at = goto(open_app(world.town.leader), "escalation.py")
    assert not at.exception
    frame = next(f.value for f in at.dataframe if "urges" in f.value.columns)
    assert code in set(frame["code"])
    assert [b.label for b in at.get("form_submit_button")] == []
    assert [m.label for m in at.metric] == [zh("escalation.urged_still_late")]

"""Who may do what, as data: an Action → roles table (`PERMISSIONS`), how far each role reaches
among the orders (`ORDER_REACH`), and one check that also looks at the site (`ensure_allowed`).

The reach, in words: a team lead reaches only the orders dispatched to their own team, wherever
the order's site is; everyone else reaches what belongs to their site and the sites below it.
`sees_order` is that rule for one order, `services/scope.orders_of` the same rule as SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models import Role
from services.errors import Forbidden


class Action(StrEnum):
    VIEW_OVERVIEW = "view_overview"
    VIEW_ORDERS = "view_orders"
    PLACE_ORDER = "place_order"
    DISPATCH = "dispatch"
    CANCEL = "cancel"
    WORK_ORDERS = "work_orders"  # the team lead's inbox: accept, decline, mark done
    RATE = "rate"
    RATING_LINK = "rating_link"    # show an order's QR code / print its rating card
    PROGRESS_LINK = "progress_link"  # 办理进度: a resident's service card with its QR code
    FOLLOW_UP = "follow_up"        # 回访: call residents, record the outcome
    VIEW_SATISFACTION = "view_satisfaction"
    RECORD_SURVEY = "record_survey"    # 需求调查: record visits, list surveys
    IMPORT_SURVEYS = "import_surveys"  # a batch of surveys from a spreadsheet
    VIEW_NEEDS = "view_needs"          # the needs board
    HANDLE_NEEDS = "handle_needs"      # turn needs into an order, close one as not feasible
    VIEW_MENU = "view_menu"            # 服务菜单 with its figures and flags
    MANAGE_MENU = "manage_menu"        # add, edit, retire menu items
    MANAGE_TEAMS = "manage_teams"
    MANAGE_VOLUNTEERS = "manage_volunteers"  # also their record, roster import, expert pool
    MANAGE_POINTS = "manage_points"          # 积分 adjustments and the 积分超市 counter
    ISSUE_CERTIFICATES = "issue_certificates"  # 志愿服务记录证明: issue, print, revoke
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_SITES = "manage_sites"      # 站点: add, rename, move, deactivate, import villages
    CHANGE_OWN_PASSWORD = "change_own_password"
    # 户联系 and 站点值班
    VIEW_HOUSEHOLDS = "view_households"      # the household register and the contact lists
    MANAGE_HOUSEHOLDS = "manage_households"  # add and edit households
    IMPORT_HOUSEHOLDS = "import_households"  # a batch of households from a spreadsheet
    MANAGE_HOUSEHOLD_TAGS = "manage_household_tags"
    SEE_PERSONAL_DATA = "see_personal_data"  # households' phones and addresses, in their sites
    PAIR_CONTACTS = "pair_contacts"          # fix a party member to a household, end a pair
    RECORD_VISIT = "record_visit"            # a member's visit, with the needs heard
    VIEW_ROTA = "view_rota"                  # stations, the week's duty rota, who is on duty
    MANAGE_STATIONS = "manage_stations"      # stations, hours, slots, assignments, attendance
    VIEW_EVALUATION = "view_evaluation"  # 绩效评价 and 月度通报, read-only
    # 催办 → 督办
    VIEW_ESCALATION = "view_escalation"  # the 督办 list: late orders, their holder, the urges
    URGE = "urge"                        # record a 催办 on a late order of one's sites
    # 项目扶持
    VIEW_PROJECTS = "view_projects"      # the support list, its figures, next year's candidates
    MANAGE_PROJECTS = "manage_projects"  # enter and edit projects, record spending
    # 中心审核
    REVIEW = "review"                    # approve a team's completion report or send it back
    # 中心制单
    VIEW_CAMPAIGNS = "view_campaigns"      # the campaigns of one's sites and their progress
    MANAGE_CAMPAIGNS = "manage_campaigns"  # make a campaign, 下发 it as orders


MANAGER, OFFICER, LEAD, LEADER = Role.manager, Role.officer, Role.team_lead, Role.leader

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_OVERVIEW: frozenset({MANAGER, LEADER}),
    Action.VIEW_ORDERS: frozenset({MANAGER, OFFICER}),
    Action.PLACE_ORDER: frozenset({MANAGER, OFFICER}),
    Action.DISPATCH: frozenset({MANAGER}),
    Action.CANCEL: frozenset({MANAGER}),
    Action.WORK_ORDERS: frozenset({LEAD}),
    Action.RATE: frozenset({MANAGER, OFFICER}),
    Action.RATING_LINK: frozenset({MANAGER, LEAD}),
    Action.PROGRESS_LINK: frozenset({MANAGER, OFFICER}),  # whoever places orders (点单)
    Action.FOLLOW_UP: frozenset({MANAGER, OFFICER}),
    Action.VIEW_SATISFACTION: frozenset({MANAGER, LEADER}),
    Action.RECORD_SURVEY: frozenset({MANAGER, OFFICER}),
    Action.IMPORT_SURVEYS: frozenset({MANAGER}),
    Action.VIEW_NEEDS: frozenset({MANAGER, OFFICER, LEADER}),
    Action.HANDLE_NEEDS: frozenset({MANAGER, OFFICER}),
    Action.VIEW_MENU: frozenset({MANAGER, OFFICER, LEADER}),
    Action.MANAGE_MENU: frozenset({MANAGER}),
    Action.MANAGE_TEAMS: frozenset({MANAGER}),
    Action.MANAGE_VOLUNTEERS: frozenset({MANAGER}),
    Action.MANAGE_POINTS: frozenset({MANAGER}),
    Action.ISSUE_CERTIFICATES: frozenset({MANAGER}),
    Action.MANAGE_USERS: frozenset({MANAGER}),
    Action.MANAGE_SETTINGS: frozenset({MANAGER}),
    Action.MANAGE_SITES: frozenset({MANAGER}),
    Action.CHANGE_OWN_PASSWORD: frozenset({MANAGER, OFFICER, LEAD, LEADER}),
    Action.VIEW_HOUSEHOLDS: frozenset({MANAGER, OFFICER, LEADER}),
    Action.MANAGE_HOUSEHOLDS: frozenset({MANAGER, OFFICER}),
    Action.IMPORT_HOUSEHOLDS: frozenset({MANAGER}),
    Action.MANAGE_HOUSEHOLD_TAGS: frozenset({MANAGER}),
    # Leaders read figures; a household's phone and address are for those who visit and serve.
    Action.SEE_PERSONAL_DATA: frozenset({MANAGER, OFFICER}),
    Action.PAIR_CONTACTS: frozenset({MANAGER}),
    Action.RECORD_VISIT: frozenset({MANAGER, OFFICER}),
    Action.VIEW_ROTA: frozenset({MANAGER, OFFICER, LEADER}),
    Action.MANAGE_STATIONS: frozenset({MANAGER}),
    Action.VIEW_EVALUATION: frozenset({MANAGER, LEADER}),
    Action.VIEW_ESCALATION: frozenset({MANAGER, LEADER}),
    Action.URGE: frozenset({MANAGER}),
    Action.VIEW_PROJECTS: frozenset({MANAGER, LEADER}),
    Action.MANAGE_PROJECTS: frozenset({MANAGER}),
    Action.REVIEW: frozenset({MANAGER}),
    Action.VIEW_CAMPAIGNS: frozenset({MANAGER, LEADER}),
    Action.MANAGE_CAMPAIGNS: frozenset({MANAGER}),
}


class Reach(StrEnum):
    SUBTREE = "subtree"    # what belongs to the actor's site and the sites below it
    OWN_TEAM = "own_team"  # the orders dispatched to the actor's own team, and nothing else


ORDER_REACH: dict[Role, Reach] = {
    MANAGER: Reach.SUBTREE,
    OFFICER: Reach.SUBTREE,
    LEAD: Reach.OWN_TEAM,
    LEADER: Reach.SUBTREE,
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the services see them: ids and scope, no ORM object."""

    id: int
    username: str
    display_name: str
    role: Role
    site_id: int
    site_path: str
    team_id: int | None = None


def allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]


def in_scope(actor: Actor, site_path: str) -> bool:
    return site_path.startswith(actor.site_path)


def ensure_any_allowed(actor: Actor, actions: tuple[Action, ...]) -> None:
    """Refuse unless the role may do at least one of these (a view shared by several tasks)."""
    if not any(allowed(actor.role, action) for action in actions):
        raise Forbidden(action=actions[0].value)


def shows_phone(actor: Actor, site_path: str) -> bool:
    """A volunteer's phone number is shown in full only to managers of the volunteer's site
    (or a site above it); everyone else sees it masked (volunteers.masked_phone)."""
    return actor.role is Role.manager and in_scope(actor, site_path)


def own_team_only(actor: Actor) -> bool:
    """True when the actor reaches only their own team's orders (ORDER_REACH)."""
    return ORDER_REACH[actor.role] is Reach.OWN_TEAM


def sees_order(actor: Actor, *, site_path: str, team_id: int | None) -> bool:
    """Whether an order (of this site, dispatched to this team) is within the actor's reach."""
    if own_team_only(actor):
        return actor.team_id is not None and team_id == actor.team_id
    return in_scope(actor, site_path)


def sees_personal_data(actor: Actor, site_path: str) -> bool:
    """Whether the actor may see a household's phone and address: a role that visits, and the
    household's site within their own."""
    return allowed(actor.role, Action.SEE_PERSONAL_DATA) and in_scope(actor, site_path)


def ensure_allowed(actor: Actor, action: Action, *, site_path: str | None = None) -> None:
    """Refuse unless the role may do this and, when a site is given, it is in the actor's
    subtree. For an order, services/orders.load_for also applies the reach."""
    if not allowed(actor.role, action):
        raise Forbidden(action=action.value)
    if site_path is not None and not in_scope(actor, site_path):
        raise Forbidden(action=action.value)

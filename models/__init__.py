"""The tables of Diandan and their enums, one module per aggregate. Imports nothing from the
project. Every name is exported here, so `from models import WorkOrder` works wherever it lives.

- organisation: sites, teams, accounts, volunteers
- menu: service categories and items
- surveys: needs surveys and the needs heard
- orders: the order, its state machine and named groups of states, events, service records
- ratings: ratings, rating links, follow-ups, the 好差评 cut-offs
- points: the points ledger and the points store
- audit: the audit log and its actions
- settings: the business settings a manager changed
- contacts: 户联系 — households, their tags, the party members paired with them, visits
- duty: 站点值班 — service stations, opening hours, the duty rota, attendance
- certificates: the register of 志愿服务记录证明
- campaigns: 中心制单 — centre-planned activities and the targets they are issued to
- progress: 办理进度 — residents' progress links and the 催单 they send
"""

from models.audit import AuditAction, AuditLog
from models.base import utc_now
from models.campaigns import Campaign, CampaignTarget
from models.certificates import Certificate
from models.contacts import (
    ContactPair,
    ContactVisit,
    Household,
    HouseholdTag,
    HouseholdTagLink,
    VisitMethod,
)
from models.data_version import DATA_VERSION_ID, DataVersion
from models.duty import (
    AttendanceStatus,
    DutyAssignment,
    DutyAttendance,
    DutyChange,
    DutyChangeKind,
    DutySlot,
    Station,
    StationHours,
)
from models.menu import ServiceCategory, ServiceItem, ServiceItemTeam
from models.orders import (
    ALLOWED_TRANSITIONS,
    ANSWERED_SQL,
    ANSWERS,
    CAN_BE_OVERDUE,
    CANCELLABLE,
    DONE,
    ENTRY_ACTIONS,
    IN_REVIEW,
    OPEN,
    RATABLE,
    STATUS_ORDER,
    UNFINISHED,
    WITH_TEAM,
    BeneficiaryGroup,
    OrderAction,
    OrderBeneficiary,
    OrderEvent,
    OrderSource,
    OrderStatus,
    ServiceRecord,
    ServiceSource,
    WorkOrder,
    next_status,
)
from models.organisation import (
    Gender,
    LoginLockout,
    Role,
    Site,
    SiteLevel,
    Skill,
    Team,
    TeamCategory,
    TeamTier,
    User,
    Volunteer,
    VolunteerSkill,
    VolunteerTeam,
)
from models.points import PointsEntry, PointsReason, Redemption, Reward
from models.progress import ProgressToken, ResidentUrge
from models.projects import ProjectSpend, SupportProject, SupportProjectItem
from models.ratings import (
    BAD_RATING_MAX,
    GOOD_RATING_MIN,
    SATISFIED_MIN,
    FollowUp,
    FollowUpReason,
    Rating,
    RatingChannel,
    RatingToken,
    bad_rating,
    good_rating,
    satisfied,
)
from models.rollups import (
    ALL_TIME,
    DAY,
    MONTH,
    NO_ITEM,
    NO_TEAM,
    ItemRollup,
    OrderFact,
    OrderRollup,
    RepeatedOrder,
    VolunteerRollup,
    VolunteerStars,
)
from models.settings import Setting
from models.surveys import Need, NeedPriority, NeedStatus, Survey

__all__ = [
    "ALLOWED_TRANSITIONS", "BAD_RATING_MAX", "CANCELLABLE", "DONE", "GOOD_RATING_MIN",
    "CAN_BE_OVERDUE", "ENTRY_ACTIONS", "OPEN", "RATABLE", "SATISFIED_MIN", "STATUS_ORDER",
    "WITH_TEAM", "IN_REVIEW", "UNFINISHED", "ANSWERS", "ANSWERED_SQL",
    "AuditAction", "AuditLog", "BeneficiaryGroup", "FollowUp", "FollowUpReason", "Gender",
    "LoginLockout", "Need", "NeedPriority", "NeedStatus", "OrderAction", "OrderBeneficiary",
    "OrderEvent", "OrderSource", "OrderStatus", "PointsEntry", "PointsReason", "Rating",
    "RatingChannel", "RatingToken", "Redemption", "Reward", "Role", "ServiceCategory",
    "ServiceItem", "ServiceItemTeam", "ServiceRecord", "Setting", "Site", "SiteLevel", "Survey",
    "Team", "TeamCategory", "TeamTier", "User", "Volunteer", "VolunteerTeam", "WorkOrder",
    "bad_rating", "good_rating", "next_status", "satisfied", "utc_now",
    # 户联系 and 站点值班 (issue 15)
    "AttendanceStatus", "ContactPair", "ContactVisit", "DutyAssignment", "DutyAttendance",
    "DutyChange", "DutyChangeKind", "DutySlot", "Household", "HouseholdTag", "HouseholdTagLink",
    "ServiceSource", "Station", "StationHours", "VisitMethod",
    "DATA_VERSION_ID", "DataVersion",
    "ALL_TIME", "DAY", "MONTH", "NO_ITEM", "NO_TEAM", "ItemRollup", "OrderRollup",
    "OrderFact", "RepeatedOrder", "VolunteerRollup", "VolunteerStars",
    "Certificate", "Skill", "VolunteerSkill",
    # 项目扶持 (issue 16)
    "ProjectSpend", "SupportProject", "SupportProjectItem",
    # 中心制单 (issue 16)
    "Campaign", "CampaignTarget",
    # 办理进度 (issue 16)
    "ProgressToken", "ResidentUrge",
]

"""Every setting of Diandan in one place.

Two kinds live here. *Deployment* settings come from the environment (they decide where the data
is and how the server is reached) and never change while the app runs. *Business* settings are
edited by a manager on the 设置 page and stored in the database; the defaults below apply until a
manager changes them. The README's settings table is checked against both lists by a test.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class EnvSetting:
    name: str
    default: str
    help: str


ENV_SETTINGS: tuple[EnvSetting, ...] = (
    EnvSetting("DIANDAN_DATABASE_URL", "sqlite:///data/diandan.db",
               "SQLAlchemy URL of the database; relative SQLite paths are under the project "
               "folder"),
    EnvSetting("DIANDAN_DATA_DIR", "data",
               "folder for the SQLite file and the generated cookie key (git-ignored)"),
    EnvSetting("DIANDAN_COOKIE_KEY", "",
               "secret that signs login cookies (≥ 32 bytes); generated into the data folder if "
               "empty"),
    EnvSetting("DIANDAN_COOKIE_DAYS", "7", "days a login cookie keeps a browser logged in"),
    EnvSetting("DIANDAN_DB_TIMEOUT", "10",
               "seconds a request waits for a database connection or its turn to write before "
               "the user is told 系统繁忙，请稍后再试 (nothing is written)"),
    EnvSetting("DIANDAN_CLIENT_IP_HEADER", "",
               "request header holding the client's address, set by your reverse proxy (e.g. "
               "X-Real-IP); trusted only when named here. Login failures count per account and "
               "client"),
    EnvSetting("DIANDAN_BACKUP_DIR", "backups",
               "folder for `python -m diandan backup`; relative paths are under the data "
               "folder"),
    EnvSetting("DIANDAN_BACKUP_KEEP", "14", "backups kept in the backup folder; older ones are "
               "deleted after a successful backup"),
)


def env(name: str) -> str:
    spec = next(s for s in ENV_SETTINGS if s.name == name)
    return os.environ.get(name) or spec.default


def data_dir() -> Path:
    path = Path(env("DIANDAN_DATA_DIR"))
    if not path.is_absolute():
        path = ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = env("DIANDAN_DATABASE_URL")
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        # A relative SQLite path means "under the project", whatever the working directory.
        path = ROOT / url[len(prefix):]
        path.parent.mkdir(parents=True, exist_ok=True)
        url = prefix + str(path)
    return url


def cookie_days() -> float:
    try:
        days = float(env("DIANDAN_COOKIE_DAYS"))
    except ValueError:
        days = 7.0
    return days if days > 0 else 7.0


def _positive(name: str, fallback: float) -> float:
    try:
        value = float(env(name))
    except ValueError:
        return fallback
    return value if value > 0 else fallback


def db_timeout() -> float:
    return _positive("DIANDAN_DB_TIMEOUT", 10.0)


def client_ip_header() -> str:
    return env("DIANDAN_CLIENT_IP_HEADER").strip()


def backup_dir() -> Path:
    path = Path(env("DIANDAN_BACKUP_DIR"))
    return path if path.is_absolute() else data_dir() / path


def backup_keep() -> int:
    return max(1, int(_positive("DIANDAN_BACKUP_KEEP", 14)))


def cookie_key() -> str:
    """The cookie-signing secret: from the environment, else a 0600 file made on first start."""
    from_env = os.environ.get("DIANDAN_COOKIE_KEY", "")
    if from_env:
        if len(from_env.encode()) < 32:
            raise RuntimeError("DIANDAN_COOKIE_KEY must be at least 32 bytes long")
        return from_env
    path = data_dir() / "cookie_key"
    if not path.exists():
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class BusinessSetting:
    key: str
    default: float | int | str
    kind: type
    minimum: float | None
    maximum: float | None
    help: str


BUSINESS_SETTINGS: tuple[BusinessSetting, ...] = (
    BusinessSetting("dispatch_days", 1, int, 1, 30,
                    "days from submission within which an order must be dispatched"),
    BusinessSetting("accept_days", 2, int, 1, 30,
                    "days from dispatch within which a team must accept"),
    BusinessSetting("due_days", 7, int, 1, 180,
                    "default due date of a new order, in days after submission"),
    BusinessSetting("rate_days", 7, int, 1, 60,
                    "days after completion within which it is rated or followed up"),
    BusinessSetting("follow_up_days", 15, int, 1, 60,
                    "days within which a poor rating (≤ 2) must be followed up"),
    BusinessSetting("star_1_hours", 100, int, 1, 100000, "cumulative service hours for 1 star"),
    BusinessSetting("star_2_hours", 300, int, 1, 100000, "cumulative service hours for 2 stars"),
    BusinessSetting("star_3_hours", 600, int, 1, 100000, "cumulative service hours for 3 stars"),
    BusinessSetting("star_4_hours", 1000, int, 1, 100000, "cumulative service hours for 4 stars"),
    BusinessSetting("star_5_hours", 1500, int, 1, 100000, "cumulative service hours for 5 stars"),
    BusinessSetting("points_per_hour", 10, int, 0, 1000,
                    "points a volunteer earns per service hour"),
    BusinessSetting("satisfaction_threshold", 3.5, float, 1, 5,
                    "average rating below which a menu item is flagged"),
    BusinessSetting("menu_min_ratings", 5, int, 1, 1000,
                    "ratings a menu item needs before a low average flags it"),
    BusinessSetting("menu_idle_months", 6, int, 1, 60,
                    "months without an order after which a menu item is flagged"),
    BusinessSetting("timezone", "Asia/Shanghai", str, None, None,
                    "time zone for showing times and counting days"),
    BusinessSetting("weight_category", 40, int, 0, 100,
                    "派单 score: weight of serving the order's category"),
    BusinessSetting("weight_workload", 20, int, 0, 100, "派单 score: weight of few open orders"),
    BusinessSetting("weight_rating", 15, int, 0, 100,
                    "派单 score: weight of the average rating (12 months)"),
    BusinessSetting("weight_on_time", 10, int, 0, 100,
                    "派单 score: weight of the on-time share (12 months)"),
    BusinessSetting("weight_nearby", 10, int, 0, 100,
                    "派单 score: weight of being based in the same 站 / 所"),
    BusinessSetting("weight_accept", 5, int, 0, 100,
                    "派单 score: weight of a short median time to accept"),
    BusinessSetting("team_full_load", 10, int, 1, 1000,
                    "open orders at which a team counts as fully loaded"),
    BusinessSetting("rating_link_days", 14, int, 1, 90,
                    "days a resident's rating link (QR code) stays valid; it works once"),
    BusinessSetting("public_base_url", "", str, None, None,
                    "address at which residents' phones reach the app, e.g. "
                    "https://diandan.example.gov.cn; rating links and QR codes start with it"),
    BusinessSetting("progress_link_days", 60, int, 1, 365,
                    "days a resident's progress link (the service card's QR code) stays valid "
                    "after it is made"),
    BusinessSetting("reengage_months", 6, int, 1, 60,
                    "months without service after which an active volunteer is listed for a "
                    "re-engagement call"),
    BusinessSetting("points_expiry_years", 0, int, 0, 20,
                    "years after which points earned and not spent expire (0: never)"),
    BusinessSetting("certificate_body", "", str, None, None,
                    "issuing body printed on service certificates (empty: the issuing manager's "
                    "site)"),
    BusinessSetting("certificate_head", "", str, None, None,
                    "person in charge printed on service certificates (required to issue one)"),
    BusinessSetting("certificate_phone", "", str, None, None,
                    "contact phone printed on service certificates (required to issue one)"),
    BusinessSetting("contact_households_target", 3, int, 1, 100,
                    "户联系: households each party member is to be paired with"),
    BusinessSetting("contact_visit_days", 180, int, 7, 730,
                    "户联系: a paired household not visited for this many days is overdue"),
    # 绩效评价 and 月度通报 (services/evaluation.py)
    BusinessSetting("eval_period_start_day", 1, int, 1, 28,
                    "绩效评价: day of the month a 考核周期 starts on (19: the 19th to the 18th)"),
    BusinessSetting("repeat_days", 30, int, 1, 365,
                    "绩效评价: days after completion within which another order of the same "
                    "requester or household in the same category is a 重复诉求"),
    BusinessSetting("score_weight_response", 10, int, 0, 100,
                    "综合得分: weight of 响应 (share accepted or dispatched within the limit)"),
    BusinessSetting("score_weight_resolve", 50, int, 0, 100,
                    "综合得分: weight of 解决 (按时办结率)"),
    BusinessSetting("score_weight_satisfaction", 40, int, 0, 100,
                    "综合得分: weight of 满意 (ratings, credited as below)"),
    BusinessSetting("score_credit_good", 1.0, float, 0, 1,
                    "综合得分: credit of a rating of 满意 or 非常满意"),
    BusinessSetting("score_credit_basic", 0.9, float, 0, 1,
                    "综合得分: credit of a rating of 基本满意"),
    BusinessSetting("roll_size", 5, int, 1, 50,
                    "红榜 / 黑榜: how many units each lists, per table"),
    BusinessSetting("line_satisfied_percent", 85.0, float, 0, 100,
                    "the line: a unit whose 满意率 is below this (%) is named"),
    BusinessSetting("line_on_time_percent", 90.0, float, 0, 100,
                    "the line: a unit whose 按时办结率 is below this (%) is named"),
    # 评优推荐 (services/recognition.py)
    BusinessSetting("recognition_min_hours", 20.0, float, 0, 10000,
                    "评优推荐: service hours in the year a 最美志愿者 candidate needs at least"),
    BusinessSetting("recognition_min_ratings", 5, int, 1, 10000,
                    "评优推荐: ratings in the year a 最佳志愿服务项目 candidate needs at least"),
    # 催办 → 督办 (services/sla.py)
    BusinessSetting("escalate_hours", 48, int, 1, 720,
                    "督办: hours past a time limit after which a late order is escalated"),
    # 项目扶持 (services/projects.py)
    BusinessSetting("project_cap_yuan", 20000, int, 1, 10_000_000,
                    "项目扶持: the most one project can be granted in a year (yuan)"),
    BusinessSetting("projects_per_year", 40, int, 1, 1000,
                    "项目扶持: how many projects a site's support list can hold in one year"),
)

BUSINESS_DEFAULTS = {s.key: s.default for s in BUSINESS_SETTINGS}

"""The audit log: logins, account and settings changes, imports, exports, rating links.

Written only through services/audit.py, with an AuditAction, so every row is named the same
way: `<what>.<verb>`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.base import utc_now


class AuditAction(StrEnum):
    login = "auth.login"
    login_failed = "auth.login_failed"
    logout = "auth.logout"
    password_change = "auth.password_change"
    setup = "install.setup"
    user_create = "user.create"
    user_update = "user.update"
    user_activate = "user.activate"
    user_deactivate = "user.deactivate"
    user_reset_password = "user.reset_password"
    settings_update = "settings.update"
    rating_link_issue = "rating_link.issue"
    surveys_import = "surveys.import"
    surveys_export = "surveys.export"
    menu_export = "menu.export"
    volunteers_import = "volunteers.import"
    volunteers_export = "volunteers.export"
    volunteer_record_export = "volunteers.record_export"
    volunteer_retire = "volunteers.retire"
    skills_update = "skills.update"
    points_adjust = "points.adjust"
    reward_save = "rewards.save"
    points_redeem = "points.redeem"
    points_redeem_cancel = "points.redeem_cancel"
    store_export = "rewards.export"
    certificate_issue = "certificates.issue"
    certificate_revoke = "certificates.revoke"
    households_import = "households.import"
    site_create = "site.create"
    site_update = "site.update"
    site_activate = "site.activate"
    site_deactivate = "site.deactivate"
    sites_import = "sites.import"
    evaluation_export = "evaluation.export"
    bulletin_export = "bulletin.export"
    recognition_export = "recognition.export"
    backup_download = "backup.download"
    project_save = "projects.save"
    project_spend = "projects.spend"
    projects_export = "projects.export"
    campaign_create = "campaigns.create"
    campaign_issue = "campaigns.issue"
    campaign_discard = "campaigns.discard"
    progress_link_issue = "progress_link.issue"


class AuditLog(SQLModel, table=True):
    """Who did what to the installation, and when (order events have their own trail)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=40, index=True)
    target: str = Field(default="", max_length=100)
    detail: str = Field(default="", max_length=1000)

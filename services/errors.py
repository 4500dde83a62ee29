"""Named domain errors. Each carries a message key and parameters; the UI translates them."""

from __future__ import annotations


class DomainError(Exception):
    key = "error.generic"

    def __init__(self, key: str | None = None, **params):
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}")


class NotFound(DomainError):
    key = "error.not_found"


class Forbidden(DomainError):
    key = "error.forbidden"


class Invalid(DomainError):
    """Bad input: the key names the rule that was broken."""

    key = "error.invalid"


class OrderNotInState(DomainError):
    """The order is no longer in the state the action needs (a stale or repeated action)."""

    key = "error.order_state_changed"


class Duplicate(DomainError):
    key = "error.duplicate"


class LoginRefused(DomainError):
    """Wrong name or password, or locked out: one message for all, so names cannot be probed."""

    key = "error.login_failed"

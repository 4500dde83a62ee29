"""Named domain errors. Each carries a message key and parameters; the UI translates them."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


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


class Problems(Invalid):
    """Several fields of one form are wrong: all of them are reported at once, each with its
    own message key, so the user fixes the form in one go instead of one refusal at a time."""

    key = "error.problems"

    def __init__(self, problems: list[DomainError]):
        self.problems = list(problems)
        super().__init__(count=len(self.problems))


class Checks:
    """Collects the refusals of a form's field checks instead of stopping at the first:

        check = Checks()
        name = check(validate.text, name, key="name", maximum=40)
        phone = check(validate.phone, phone)
        check.done()   # raises the one problem, or Problems with all of them

    Only bad input (Invalid, Duplicate) is collected; Forbidden and NotFound still stop at once.
    A check that failed returns None, so later checks that need its value are skipped by the
    caller (`if name is not None`)."""

    def __init__(self) -> None:
        self.problems: list[DomainError] = []

    def __call__(self, check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except (Invalid, Duplicate) as err:
            self.problems.extend(getattr(err, "problems", None) or [err])
            return None

    def fail(self, key: str, **params) -> None:
        self.problems.append(Invalid(key, **params))

    def done(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise Problems(self.problems)


# A value the database cannot hold is bad input, refused in words like any other. Hostile or
# stale input can carry an id beyond PostgreSQL's integer range (SQLite, with 64-bit integers,
# just finds nothing) or text where a number goes; PostgreSQL then refuses the statement with a
# "data exception" (SQLSTATE class 22). Every engine's errors pass through here, so no service
# needs a range check of its own for each id it is given. The transaction is rolled back by
# the session on the way out, as for any refusal.
@event.listens_for(Engine, "handle_error")
def _data_exception_is_bad_input(context) -> DomainError | None:
    sqlstate = getattr(context.original_exception, "sqlstate", None) or ""
    if sqlstate.startswith("22"):
        return Invalid("error.invalid")
    return None

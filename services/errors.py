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

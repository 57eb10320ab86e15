"""What can go wrong on the review pages, each error with the HTTP status it maps to."""

from __future__ import annotations

from fraud.errors import Conflict, FraudError


class SignInFailed(FraudError):
    """Unknown user or wrong password: one message for both, so names cannot be probed."""

    status = 401
    code = "sign_in_failed"


class LockedOut(FraudError):
    status = 429
    code = "locked_out"


class Forbidden(FraudError):
    status = 403
    code = "forbidden"


class StaleVersion(Conflict):
    """Somebody else changed the order since this reviewer loaded it (optimistic locking)."""

    code = "stale_version"


class NotAllowedNow(Conflict):
    """The action does not fit the order's state (approving an order already cancelled)."""

    code = "not_allowed_now"

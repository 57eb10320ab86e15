"""One error tree for the library. Each error carries the HTTP status it maps to;
the API turns any of them into a JSON error, the CLI into a one-line message."""

from __future__ import annotations


class FraudError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, detail: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class ConfigError(FraudError):
    status = 500
    code = "config_error"


class InvalidInput(FraudError):
    status = 422
    code = "invalid_input"


class NotFound(FraudError):
    status = 404
    code = "not_found"


class Conflict(FraudError):
    status = 409
    code = "conflict"


class Unauthorized(FraudError):
    status = 401
    code = "unauthorized"


class RulesError(FraudError):
    """A rules file that cannot be loaded: names the rule, line/position and reason."""

    status = 422
    code = "invalid_rules"


class ModelError(FraudError):
    status = 500
    code = "model_error"


class StoreUnavailable(FraudError):
    """The store cannot answer now (stopped, frozen, busy, timed out): nothing was
    stored, and the same request may be retried."""

    status = 503
    code = "store_unavailable"


class StoreFull(StoreUnavailable):
    """The store's disk (or SQLite's ``max_page_count``) is full: nothing was stored;
    what was stored before is intact."""

    code = "store_full"

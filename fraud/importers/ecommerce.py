"""The public "Fraud ecommerce" data set (Fraud_Data.csv + IpAddress_to_Country.csv).

One row is one purchase: user id, signup and purchase time, value in USD, device
id, traffic source, browser, sex, age, IPv4 address (written as a float) and the
label. Each purchase becomes a valid :class:`~fraud.schema.Order`:

* ``order_id`` and ``customer.account_id`` are the user id (every user buys once);
  ``account_created_at`` is the signup time, ``created_at`` the purchase time.
* Times carry no zone in the file; they are read as UTC (the source does not say).
* ``payment.amount`` is the purchase value in USD; the configured FX rate converts it.
* ``user_agent`` names only the browser family the file gives (no OS, no version).
* Name, e-mail, addresses, payment method, item and shipping method are
  placeholders, because the schema demands them. They are unique per user so
  they never link two orders, and the signals that would read them are skipped
  (:data:`SKIP_SIGNALS`); features of running signals that still derive from a
  placeholder are listed in :data:`PLACEHOLDER_FEATURES` and masked for analysis.
* ``source``, ``sex`` and ``age`` have no place in the order: they are kept in an
  extra frame for analysis only.
* The label becomes one outcome event per purchase, known :data:`LABEL_DELAY`
  after the purchase (the file has no outcome times; see docs/public-data.md).

The IP-to-country table becomes a geo adapter (:mod:`fraud.importers.ipcountry`).
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fraud.domain import Outcome
from fraud.errors import InvalidInput
from fraud.importers.ipcountry import IpCountryLocator
from fraud.schema import Order
from fraud.signals import Context

if TYPE_CHECKING:
    import pandas as pd

    from fraud.settings import Settings

SOURCE = "ecommerce-fraud"
CURRENCY = "USD"
LABEL_DELAY = timedelta(days=30)
"""When a purchase's label is known: a fixed delay after the purchase, about the
time a card chargeback takes to arrive. The data set has no outcome times."""

# Antarctica: never a customer's country, has no postal data (so placing the
# placeholder address gives "unknown", not a point) and is not in the basket
# signal's time-zone table, so local-hour features read the UTC time as it is.
PLACEHOLDER_COUNTRY = "AQ"

SKIP_SIGNALS = frozenset({"address", "phone", "email"})
"""Signals this source cannot support: reported unavailable, never computed."""

PLACEHOLDER_FEATURES = frozenset(
    {
        # basket: one placeholder item, payment method and shipping method
        "item_count",
        "distinct_skus",
        "max_unit_price_eur",
        "high_resale_share",
        "payment_method",
        "card_country_matches_billing",
        "shipping_method",
        "shipping_express",
        "shipping_to_pickup",
        # geo: compares the IP country with placeholder addresses
        "billing_geo_precision",
        "shipping_geo_precision",
        "ip_country_matches_billing",
        "ip_country_matches_shipping",
        "ip_billing_distance_km",
        "ip_shipping_distance_km",
        # device: the user agent is built from the browser family alone
        "ua_os_family",
        "ua_device_type",
        # history: keys that are unique placeholders per user
        "address_accounts_30d",
        "email_accounts_30d",
        "first_order_from_country",
    }
)
"""Features of signals that do run, but whose value comes from a placeholder field."""

COLUMNS = (
    "user_id",
    "signup_time",
    "purchase_time",
    "purchase_value",
    "device_id",
    "source",
    "browser",
    "sex",
    "age",
    "ip_address",
    "class",
)

# The browser families the file names, as the shortest user agent that the
# device signal's parser reads as that family. Versions are placeholders.
USER_AGENTS = {
    "chrome": "Chrome/1.0",
    "firefox": "Firefox/1.0",
    "safari": "Version/1.0 Safari/1.0",
    "ie": "Mozilla/5.0 (compatible; MSIE 1.0)",
    "opera": "Opera/1.0",
}

@dataclass(frozen=True)
class Purchase:
    """One row of the purchases file, parsed."""

    user_id: str
    signup_time: datetime
    purchase_time: datetime
    purchase_value: Decimal
    device_id: str
    source: str
    browser: str
    sex: str
    age: int
    ip_address: ipaddress.IPv4Address
    is_fraud: bool


@dataclass(frozen=True)
class BadRow:
    """A row that was skipped, with its 1-based line number in the file and why."""

    line: int
    reason: str


# --- parsing one value ----------------------------------------------------------------------

_US_TIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$")
_ISO_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$")


def parse_time(text: str) -> datetime:
    """``M/D/YYYY H:MM`` (this copy) or ``YYYY-MM-DD HH:MM:SS`` (the original), read as UTC.

    The file has no time zone; UTC is an assumption, stated in the docs.
    """
    text = text.strip()
    if m := _US_TIME.match(text):
        month, day, year, hour, minute, second = m.groups()
    elif m := _ISO_TIME.match(text):
        year, month, day, hour, minute, second = m.groups()
    else:
        raise ValueError(f"time {text!r} is neither M/D/YYYY H:MM nor YYYY-MM-DD HH:MM:SS")
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC
    )


def parse_ip(text: str) -> ipaddress.IPv4Address:
    """An IPv4 address written as a (possibly fractional) number: the integer part counts."""
    try:
        value = int(Decimal(text.strip()))
    except InvalidOperation:
        raise ValueError(f"IP address {text!r} is not a number") from None
    if not 0 <= value < 2**32:
        raise ValueError(f"IP address {text!r} is outside the IPv4 range")
    return ipaddress.IPv4Address(value)


def parse_money(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"purchase_value {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"purchase_value {text!r} is not a non-negative amount")
    return value.quantize(Decimal("0.01"))


def parse_purchase(row: dict[str, str]) -> Purchase:
    """One CSV row as a :class:`Purchase` (raises ValueError naming the bad field)."""
    empty = [c for c in COLUMNS if not (row.get(c) or "").strip()]
    if empty:
        raise ValueError(f"empty field(s): {', '.join(empty)}")
    label = row["class"].strip()
    if label not in ("0", "1"):
        raise ValueError(f"class {label!r} is not 0 or 1")
    return Purchase(
        user_id=row["user_id"].strip(),
        signup_time=parse_time(row["signup_time"]),
        purchase_time=parse_time(row["purchase_time"]),
        purchase_value=parse_money(row["purchase_value"]),
        device_id=row["device_id"].strip(),
        source=row["source"].strip(),
        browser=row["browser"].strip(),
        sex=row["sex"].strip(),
        age=int(float(row["age"])),
        ip_address=parse_ip(row["ip_address"]),
        is_fraud=label == "1",
    )


# --- reading the files ----------------------------------------------------------------------


def _lines(path: Path) -> Iterator[str]:
    # utf-8-sig drops the byte-order mark the file starts with
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from fh


def read_purchases(path: str | Path) -> tuple[list[Purchase], list[BadRow]]:
    """Every parsable purchase, and the rows that were skipped with the reason.

    Raises :class:`~fraud.errors.InvalidInput` when a column is missing.
    """
    path = Path(path)
    reader = csv.DictReader(_lines(path))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InvalidInput(f"{path}: missing column(s) {', '.join(missing)}")
    purchases: list[Purchase] = []
    bad: list[BadRow] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        try:
            purchase = parse_purchase(row)
            if purchase.user_id in seen:
                raise ValueError(f"user_id {purchase.user_id} repeats an earlier row")
            if purchase.signup_time > purchase.purchase_time:
                raise ValueError("signup_time is after purchase_time")
        except (ValueError, TypeError) as exc:
            bad.append(BadRow(line, str(exc)))
            continue
        seen.add(purchase.user_id)
        purchases.append(purchase)
    return purchases, bad


# --- purchase -> order ----------------------------------------------------------------------


def user_agent(browser: str) -> str | None:
    """A user agent naming only the given browser family; ``None`` for an unknown one."""
    return USER_AGENTS.get(browser.strip().lower())


def _placeholder_address(user_id: str) -> dict[str, Any]:
    # The postal code carries the user id so placeholder addresses never link users.
    return {
        "street": "unknown",
        "postal_code": f"U{user_id}",
        "city": "unknown",
        "country": PLACEHOLDER_COUNTRY,
    }


def purchase_order(purchase: Purchase) -> Order:
    """The purchase as an order; fields the source lacks are unique placeholders."""
    uid = purchase.user_id
    address = _placeholder_address(uid)
    return Order.model_validate(
        {
            "order_id": uid,
            "created_at": purchase.purchase_time,
            "customer": {
                "account_id": uid,
                "account_created_at": purchase.signup_time,
                "name": "unknown",
                "email": f"user-{uid}@unknown.invalid",
            },
            "billing_address": address,
            "shipping_address": address,
            "ip_address": purchase.ip_address,
            "user_agent": user_agent(purchase.browser),
            "device_id": purchase.device_id,
            "payment": {
                "method": "card",
                "amount": purchase.purchase_value,
                "currency": CURRENCY,
            },
            "items": [
                {
                    "sku": "UNKNOWN",
                    "category": "unknown",
                    "unit_price": purchase.purchase_value,
                    "quantity": 1,
                }
            ],
            "shipping_method": "standard",
        }
    )


def purchase_outcome(
    purchase: Purchase, delay: timedelta = LABEL_DELAY
) -> tuple[str, Outcome, datetime]:
    """The label as an outcome event ``(order_id, outcome, at)``, known ``delay`` later."""
    outcome = Outcome.FRAUD_CONFIRMED if purchase.is_fraud else Outcome.LEGIT_CONFIRMED
    return purchase.user_id, outcome, purchase.purchase_time + delay


def extras_frame(purchases: Sequence[Purchase]) -> pd.DataFrame:
    """``source``, ``sex`` and ``age`` by order id: for analysis, never for the order."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "order_id": [p.user_id for p in purchases],
            "source": [p.source for p in purchases],
            "sex": [p.sex for p in purchases],
            "age": [p.age for p in purchases],
        }
    )
    return frame.set_index("order_id")


def labels_frame(purchases: Sequence[Purchase], delay: timedelta = LABEL_DELAY) -> pd.DataFrame:
    """Per order id: purchase time, the label and when it is known."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "order_id": [p.user_id for p in purchases],
            "created_at": pd.to_datetime([p.purchase_time for p in purchases], utc=True),
            "is_fraud": [p.is_fraud for p in purchases],
            "label_known_at": pd.to_datetime(
                [p.purchase_time + delay for p in purchases], utc=True
            ),
        }
    )
    return frame.set_index("order_id")


# --- the whole source -----------------------------------------------------------------------


def find_source_files(path: str | Path) -> tuple[Path, Path | None]:
    """The purchases CSV and the IP table (or ``None``) for a folder or a purchases file."""
    path = Path(path)
    if path.is_file():
        folder, purchases = path.parent, path
    elif path.is_dir():
        folder = path
        found = sorted(path.glob("Fraud_Data*.csv"))
        if not found:
            raise InvalidInput(f"{path}: no Fraud_Data*.csv file in this folder")
        purchases = found[0]
    else:
        raise InvalidInput(f"{path}: no such file or folder")
    tables = sorted(folder.glob("IpAddress_to_Country*.csv"))
    return purchases, tables[0] if tables else None


def skip_signals(geo: object | None) -> frozenset[str]:
    """Signals to report unavailable: :data:`SKIP_SIGNALS`, and geo without a table."""
    return SKIP_SIGNALS if geo is not None else SKIP_SIGNALS | {"geo"}


@dataclass(frozen=True)
class EcommerceData:
    """The data set as the pipeline sees it.

    ``orders`` in purchase-time order; ``outcomes`` as ``(order_id, outcome, at)``;
    ``labels`` and ``extras`` indexed by order id; ``geo`` the IP-table adapter
    (``None`` without the table); ``skip`` the signals to report unavailable.
    """

    orders: tuple[Order, ...]
    outcomes: tuple[tuple[str, Outcome, datetime], ...]
    labels: pd.DataFrame
    extras: pd.DataFrame
    geo: IpCountryLocator | None
    skip: frozenset[str]
    bad_rows: tuple[BadRow, ...]
    purchases_path: Path
    ip_table_path: Path | None

    def context(self, settings: Settings, history: Any | None = None) -> Context:
        """A signal context for this source: its geo adapter, history and skips."""
        return Context(settings=settings, geo=self.geo, history=history, skip=self.skip)


def load_ecommerce(
    path: str | Path, *, label_delay: timedelta = LABEL_DELAY, use_ip_table: bool = True
) -> EcommerceData:
    """Read the data set from a folder (or its purchases CSV) into orders and outcomes.

    Unparsable rows (such as the cut-off last row of the partial copy) are
    skipped and listed in ``bad_rows``. The IP table next to the purchases file
    becomes the geo adapter unless ``use_ip_table`` is false.
    """
    purchases_path, table_path = find_source_files(path)
    purchases, bad = read_purchases(purchases_path)
    purchases.sort(key=lambda p: (p.purchase_time, p.user_id))
    geo = IpCountryLocator.from_csv(table_path) if table_path and use_ip_table else None
    return EcommerceData(
        orders=tuple(purchase_order(p) for p in purchases),
        outcomes=tuple(purchase_outcome(p, label_delay) for p in purchases),
        labels=labels_frame(purchases, label_delay),
        extras=extras_frame(purchases),
        geo=geo,
        skip=skip_signals(geo),
        bad_rows=tuple(bad),
        purchases_path=purchases_path,
        ip_table_path=table_path if geo is not None else None,
    )


def mask_placeholders(frame: pd.DataFrame) -> pd.DataFrame:
    """The feature frame with every :data:`PLACEHOLDER_FEATURES` column set to ``None``."""
    out = frame.copy()
    for name in PLACEHOLDER_FEATURES.intersection(out.columns):
        out[name] = None
    return out



DATA_ENV = "FRAUD_ECOMMERCE_DATA"


def default_data_path() -> Path:
    """Where the data set is read from: ``$FRAUD_ECOMMERCE_DATA``, else
    ``../shared/data/ecommerce-fraud`` next to the repository. It is never committed."""
    import os

    given = os.environ.get(DATA_ENV)
    if given:
        return Path(given)
    return (Path(__file__).resolve().parents[2] / "../shared/data/ecommerce-fraud").resolve()

"""Personal data: erasure on request (with legal hold), right of access, retention
(docs/evidence.md)."""

from fraud.privacy.access import export_customer_data
from fraud.privacy.erase import Erasure, LegalHold, erase_customer
from fraud.privacy.purge import Purged, purge

__all__ = ["Erasure", "LegalHold", "Purged", "erase_customer", "export_customer_data", "purge"]

"""Importers: public or third-party order data mapped into :class:`fraud.schema.Order`.

Each importer maps what its source has into the order schema, fills only the
fields the schema demands with placeholders, and names the signals its source
cannot support so the pipeline reports them unavailable (``Context.skip``)
instead of computing features from placeholders.
"""

from fraud.importers.ecommerce import (
    PLACEHOLDER_FEATURES,
    SKIP_SIGNALS,
    EcommerceData,
    IpCountryLocator,
    load_ecommerce,
)

__all__ = [
    "PLACEHOLDER_FEATURES",
    "SKIP_SIGNALS",
    "EcommerceData",
    "IpCountryLocator",
    "load_ecommerce",
]

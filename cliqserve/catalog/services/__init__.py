"""Writes to the catalog: categories, tax rates, products and the batch product import.

Each write is one transaction. Every write numbers the row with the tenant's next catalog
change number (`catalog/sequence.py`), so devices that sync "everything after N" receive it;
a row deleted outright leaves a `CatalogTombstone` with its own number instead. Taking the
number locks the tenant's counter row until commit, which also serialises the tenant's
catalog writes: the checks that read other rows (category cycles, "has products") run after
it and cannot race another writer.

One module per concern; this package exports each one's public services.
"""

from .categories import category_create, category_delete, category_update
from .product_import import ImportRow, ImportRowError, products_import
from .products import Translations, product_create, product_deactivate, product_update
from .tax_rates import tax_rate_create, tax_rate_deactivate, tax_rate_update

__all__ = [
    "ImportRow",
    "ImportRowError",
    "Translations",
    "category_create",
    "category_delete",
    "category_update",
    "product_create",
    "product_deactivate",
    "product_update",
    "products_import",
    "tax_rate_create",
    "tax_rate_deactivate",
    "tax_rate_update",
]

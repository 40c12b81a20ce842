"""The demo tenant's catalog: ~50 translated products in categories, with tax and stock.

Written through the catalog and inventory services, as an admin would, so the demo exercises
the same rules as the API (change numbers for sync, moving-average costs, the ledger).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from cliqserve.catalog.models import Product
from cliqserve.catalog.services import category_create, product_create, tax_rate_create
from cliqserve.inventory.models import StockLevel
from cliqserve.inventory.services import ReceiptLine, stock_level_update, stock_receipt_create

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Branch, Tenant

# (category, sku stem, en, es, fr, price, tracked); made-to-order drinks track no stock.
ITEMS: tuple[tuple[str, str, str, str, str, str, bool], ...] = (
    ("coffee", "ESP", "Espresso", "Espresso", "Expresso", "2.60", False),
    ("coffee", "AME", "Americano", "Americano", "Americano", "2.90", False),
    ("coffee", "LAT", "Latte", "Café con leche", "Café au lait", "3.80", False),
    ("coffee", "CAP", "Cappuccino", "Capuchino", "Cappuccino", "3.70", False),
    ("coffee", "FLW", "Flat white", "Flat white", "Flat white", "3.90", False),
    ("coffee", "MOC", "Mocha", "Moca", "Moka", "4.20", False),
    ("coffee", "MAC", "Macchiato", "Cortado con espuma", "Macchiato", "3.10", False),
    ("coffee", "COR", "Cortado", "Cortado", "Cortado", "3.20", False),
    ("tea", "GRT", "Green tea", "Té verde", "Thé vert", "2.50", False),
    ("tea", "BLT", "Black tea", "Té negro", "Thé noir", "2.50", False),
    ("tea", "CHA", "Chai latte", "Chai latte", "Chai latte", "3.90", False),
    ("tea", "HRB", "Herbal tea", "Infusión", "Tisane", "2.40", False),
    ("bakery", "CRO", "Croissant", "Cruasán", "Croissant", "2.75", True),
    ("bakery", "PAC", "Pain au chocolat", "Napolitana de chocolate", "Pain au chocolat", "3.10", True),
    ("bakery", "MUF", "Blueberry muffin", "Magdalena de arándanos", "Muffin aux myrtilles", "3.25", True),
    ("bakery", "BAG", "Bagel", "Bagel", "Bagel", "2.95", True),
    ("bakery", "BNB", "Banana bread", "Pan de plátano", "Pain à la banane", "3.40", True),
    ("bakery", "CIN", "Cinnamon roll", "Rollo de canela", "Roulé à la cannelle", "3.60", True),
    ("bakery", "COO", "Chocolate chip cookie", "Galleta con chispas", "Cookie aux pépites", "2.20", True),
    ("bakery", "BRW", "Brownie", "Brownie", "Brownie", "3.30", True),
    ("cold", "ICL", "Iced latte", "Café con leche frío", "Latte glacé", "4.10", False),
    ("cold", "CBR", "Cold brew", "Café de extracción en frío", "Café infusé à froid", "4.30", False),
    ("cold", "ORJ", "Orange juice", "Zumo de naranja", "Jus d'orange", "3.90", True),
    ("cold", "SPW", "Sparkling water", "Agua con gas", "Eau pétillante", "1.90", True),
    ("cold", "STW", "Still water", "Agua sin gas", "Eau plate", "1.70", True),
    ("cold", "LEM", "Lemonade", "Limonada", "Limonade", "3.20", True),
    ("merch", "MUG", "Ceramic mug", "Taza de cerámica", "Mug en céramique", "12.00", True),
    ("merch", "TUM", "Travel tumbler", "Vaso de viaje", "Gobelet de voyage", "18.50", True),
    ("merch", "B25", "Coffee beans 250 g", "Café en grano 250 g", "Café en grains 250 g", "11.00", True),
    ("merch", "B1K", "Coffee beans 1 kg", "Café en grano 1 kg", "Café en grains 1 kg", "36.00", True),
)
CATEGORIES = {
    "coffee": ("Coffee", None),
    "tea": ("Tea", None),
    "bakery": ("Bakery", None),
    "cold": ("Cold drinks", None),
    "merch": ("Merchandise", None),
}
# Coffee comes in three sizes: one product per size, priced up from the small one.
SIZES = (
    ("S", "small", "pequeño", "petit", Decimal("0.00")),
    ("M", "medium", "mediano", "moyen", Decimal("0.40")),
    ("L", "large", "grande", "grand", Decimal("0.80")),
)


def _products(*, tenant: Tenant, actor: User) -> list[Product]:
    sales_tax = tax_rate_create(tenant=tenant, actor=actor, name="Sales tax", rate=Decimal("8.50"))
    categories = {
        key: category_create(tenant=tenant, actor=actor, name=name)
        for key, (name, _parent) in CATEGORIES.items()
    }
    products = []
    for category, stem, en, es, fr, price, tracked in ITEMS:
        sizes = SIZES if category == "coffee" else (("", "", "", "", Decimal("0.00")),)
        for suffix, size_en, size_es, size_fr, extra in sizes:
            names = {"en": (en, size_en), "es": (es, size_es), "fr": (fr, size_fr)}
            products.append(
                product_create(
                    tenant=tenant,
                    actor=actor,
                    sku=f"{stem}-{suffix}" if suffix else stem,
                    price=Decimal(price) + extra,
                    category=categories[category],
                    tax_rate=sales_tax,
                    track_stock=tracked,
                    translations={
                        lang: {"name": f"{name} ({size})" if size else name, "description": ""}
                        for lang, (name, size) in names.items()
                    },
                )
            )
    return products


def _stock(*, tenant: Tenant, actor: User, branches: list[Branch], products: list[Product]) -> None:
    tracked = [product for product in products if product.track_stock]
    for index, branch in enumerate(branches):
        lines = [
            ReceiptLine(
                product=product,
                quantity=Decimal(24 + 6 * ((position + index) % 5)),
                # Roughly a third of the price: the demo margins look like a coffee shop's.
                unit_cost=(product.price * Decimal("0.35")).quantize(Decimal("0.0001")),
            )
            for position, product in enumerate(tracked)
        ]
        stock_receipt_create(tenant=tenant, actor=actor, branch=branch, lines=lines, reference="DEMO-OPENING")
    for level in StockLevel.objects.filter(tenant=tenant):
        stock_level_update(tenant=tenant, actor=actor, level=level, reorder_level=Decimal(10))


def seed_demo_catalog(*, tenant: Tenant, actor: User, branches: list[Branch]) -> int:
    """Create the demo catalog and opening stock; call inside the tenant's scope. Returns the
    number of products."""
    products = _products(tenant=tenant, actor=actor)
    _stock(tenant=tenant, actor=actor, branches=branches, products=products)
    return len(products)

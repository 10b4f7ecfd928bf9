"""Create demo categories and products (idempotent: an existing sku is left as it is)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from products.models import Category, Product
from products.services import category_save, product_save
from servicekit.conf import is_development

CATEGORIES = {"books": "Books", "coffee": "Coffee", "tools": "Tools"}
PRODUCTS = [
    ("books", "BOOK-DDD", "Domain-Driven Design", 4999, 25),
    ("books", "BOOK-DDIA", "Designing Data-Intensive Applications", 4499, 40),
    ("coffee", "COF-ESP-1KG", "Espresso beans, 1 kg", 2450, 100),
    ("coffee", "COF-FLT-250", "Filter roast, 250 g", 990, 3),
    ("tools", "TOOL-KB-60", "Mechanical keyboard", 12900, 12),
]


class Command(BaseCommand):
    help = "Create the demo catalog: a few categories and products priced in EUR (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not is_development():
            self.stdout.write("demo catalog skipped: APP_ENV is not development")
            return
        categories = {}
        for slug, name in CATEGORIES.items():
            existing = Category.objects.filter(slug=slug).first()
            categories[slug] = existing or category_save(name=name, slug=slug)
        created = 0
        for category, sku, name, price, stock in PRODUCTS:
            if not Product.objects.filter(sku=sku).exists():
                product_save(
                    category=categories[category], sku=sku, name=name, price=price, currency="EUR", stock=stock
                )
                created += 1
        self.stdout.write(f"demo catalog: {created} product(s) created, {len(PRODUCTS) - created} already there")

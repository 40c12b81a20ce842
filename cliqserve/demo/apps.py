from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo tenant (`manage.py seed_demo`). No models: the one place allowed to import
    every domain, so that no domain needs to import one above it to seed its demo data."""

    name = "cliqserve.demo"
    label = "demo"
    verbose_name = "Demo"

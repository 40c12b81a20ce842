"""Every API route, read from the URL configuration itself."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "api/v1/"


def api_route_names() -> set[str]:
    """Names of every route under /api/v1/, however deeply included."""
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route.startswith(API_PREFIX):
                assert pattern.name, f"unnamed API route {route}: name it so the matrices can list it"
                names.add(pattern.name)

    walk(get_resolver().url_patterns, "")
    return names

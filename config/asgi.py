import os

import django
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

# As config/wsgi.py: tracing (when configured) before the handler loads the middleware.
django.setup(set_prefix=False)
from cliqserve.core.tracing import configure_tracing  # noqa: E402 - needs the settings above

configure_tracing(service_name="cliqserve-web")
application = get_asgi_application()

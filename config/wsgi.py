import os

import django
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

# Settings and apps first, then tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set), which adds
# its middleware before the handler below loads the middleware: in each gunicorn worker, after
# the fork (cliqserve/core/tracing.py).
django.setup(set_prefix=False)
from cliqserve.core.tracing import configure_tracing  # noqa: E402 - needs the settings above

configure_tracing(service_name="cliqserve-web")
application = get_wsgi_application()

# syntax=docker/dockerfile:1
# cliqserve API image. Build: docker build -t cliqserve .   Run: see docs/DEPLOYMENT.md.

# Both stages must use the same interpreter: the venv links to the base image's python.
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: resolve the locked dependencies into /app/.venv ---------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==0.13.9"

WORKDIR /app
# Dependencies first, source later: a code change does not invalidate the dependency layer.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY . .
# The runtime user cannot write next to root-owned code, so compile it here once; the
# translations too (locale/*.po -> .mo, with Babel: no GNU gettext in the image).
RUN python -m compileall -q --invalidation-mode checked-hash config cliqserve \
    && /app/.venv/bin/pybabel -q compile --domain django --directory locale

# --- runtime: the venv and the code, run as an unprivileged user -------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.prod

# A fixed uid, so volume permissions and Kubernetes runAsUser can name it.
RUN groupadd --system --gid 10001 cliqserve \
 && useradd --system --uid 10001 --gid cliqserve --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin cliqserve

WORKDIR /app
# Left owned by root: the process can read its code and venv but never rewrite them.
COPY --from=builder /app /app

# prod settings refuse to load without these three (and refuse a guessable key); the values live
# only in this RUN, never in the image's environment. collectstatic touches no database.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@127.0.0.1:5432/build \
    python manage.py collectstatic --noinput

# The one folder the app writes: report export files (EXPORT_ROOT), when no bucket is set.
# Mount a volume shared by web and workers here (docker-compose.yml does).
RUN mkdir -p /app/var/exports && chown 10001:10001 /app/var/exports

# Numeric (it is cliqserve), so Kubernetes runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001
EXPOSE 8000

# slim has no curl. Probes are answered before Host validation, so 127.0.0.1 is fine.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:' + (os.environ.get('PORT') or '8000') + '/healthz', timeout=4)"]

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]

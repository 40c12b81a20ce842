"""Development: the embedded default plus a git-ignored `.env`, read only here."""

from pathlib import Path

import environ

# `.env` must be read before base.py evaluates the environment.
_env_file = Path(__file__).resolve().parent.parent.parent / ".env"
if _env_file.is_file():
    environ.Env.read_env(_env_file)

from .base import *  # noqa: E402,F403
from .base import env  # noqa: E402

DEBUG = env.bool("DEBUG", default=True)
# Static files are served from the finders; no collectstatic needed in development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

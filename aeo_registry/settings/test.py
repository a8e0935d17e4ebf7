"""Test settings: the base settings with the few defaults a test run needs.

Environment variables still win, so CI points the same suite at PostgreSQL and Redis
with DATABASE_URL / REDIS_URL.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TRUST_LOOKUP_LOG_ASYNC = False
# Tasks run in the test process unless a test needs the broker: the integration tests start a
# real worker (with CELERY_TASK_ALWAYS_EAGER=false) and switch the test process off eager too.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # noqa: F405
# Tests never run collectstatic: let WhiteNoise look files up as it does in DEBUG.
WHITENOISE_AUTOREFRESH = True

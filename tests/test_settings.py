"""Start-up: with DEBUG off the project refuses to start without SECRET_KEY or ALLOWED_HOSTS."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _start(**env: str) -> subprocess.CompletedProcess:
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "aeo_registry.settings.base",
        "SQLITE_PATH": ":memory:",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_up_is_refused_with_debug_off_and_no_secret_key():
    result = _start()
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_start_up_is_refused_with_debug_off_and_no_allowed_hosts():
    result = _start(SECRET_KEY="a-real-secret-for-this-test")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "true"},
        {"SECRET_KEY": "a-real-secret-for-this-test", "ALLOWED_HOSTS": "registry.example"},
    ],
)
def test_start_up_succeeds_in_debug_or_when_configured(env):
    result = _start(**env)
    assert result.returncode == 0, result.stderr

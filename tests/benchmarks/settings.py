"""Benchmark-only settings: the production settings plus the two comparison views' URLs.

The bare ``JsonResponse`` view and the naive DRF view exist only here (``urls.py`` beside
this file), never in the product's URLs. DRF's own token table is added for the naive view.
"""

from aeo_registry.settings.base import *  # noqa: F403
from aeo_registry.settings.base import INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken"]
ROOT_URLCONF = "tests.benchmarks.urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"user": "100000000/min", "anon": "100000000/min"},
}

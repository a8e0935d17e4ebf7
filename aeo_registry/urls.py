from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accreditation.trust.urls import single_lookup

from . import health
from .throttling import throttled_login

urlpatterns = [
    # The trust lookups are the hot path: they resolve first, not after every other route.
    single_lookup,
    path("api/v1/trust/", include("accreditation.trust.urls")),
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/login/", throttled_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("dashboard/", include("accreditation.dashboard.urls")),
    path("portal/", include("accreditation.portal.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/", include("stakeholders.urls")),
    path("api/v1/", include("accreditation.urls")),
]

handler404 = "aeo_registry.api.not_found"

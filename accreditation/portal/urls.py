from django.contrib.auth.views import LogoutView
from django.urls import path

from aeo_registry.throttling import throttled_login

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.PortalOverviewView.as_view(), name="overview"),
    path("login/", throttled_login(views.PortalLoginView.as_view()), name="login"),
    path("logout/", LogoutView.as_view(next_page="portal:login"), name="logout"),
    path("register/", views.PortalRegisterView.as_view(), name="register"),
    path("organisations/new/", views.PortalOrganisationNewView.as_view(), name="organisation-new"),
    path("organisations/<int:pk>/", views.PortalOrganisationView.as_view(), name="organisation"),
    path("applications/new/", views.PortalApplicationNewView.as_view(), name="application-new"),
    path("applications/<int:pk>/", views.PortalApplicationView.as_view(), name="application"),
    path(
        "applications/<int:pk>/questionnaire/",
        views.PortalQuestionnaireView.as_view(),
        name="questionnaire",
    ),
    path(
        "authorisations/<int:pk>/",
        views.PortalAuthorisationView.as_view(),
        name="authorisation",
    ),
]

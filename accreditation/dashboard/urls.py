from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.DashboardOverviewView.as_view(), name="overview"),
    path("audit-chain/verify/", views.AuditChainVerifyView.as_view(), name="audit-chain-verify"),
    path("applications/<str:pk>/", views.ApplicationDashboardView.as_view(), name="application"),
    path(
        "authorisations/<str:pk>/",
        views.AuthorisationDashboardView.as_view(),
        name="authorisation",
    ),
    path("stakeholders/<str:pk>/", views.StakeholderDashboardView.as_view(), name="stakeholder"),
]

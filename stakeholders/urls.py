from django.urls import path

from . import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("roles/", views.RoleListView.as_view(), name="role-list"),
    path("stakeholders/", views.StakeholderListCreateView.as_view(), name="stakeholder-list"),
    path(
        "stakeholders/<int:stakeholder_id>/",
        views.StakeholderDetailView.as_view(),
        name="stakeholder-detail",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/identifiers/",
        views.IdentifierCreateView.as_view(),
        name="stakeholder-identifiers",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/identifiers/<int:identifier_id>/",
        views.IdentifierDeleteView.as_view(),
        name="stakeholder-identifier",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/relationships/",
        views.RelationshipListCreateView.as_view(),
        name="stakeholder-relationships",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/members/",
        views.MemberCreateView.as_view(),
        name="stakeholder-members",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/history/",
        views.StakeholderHistoryView.as_view(),
        name="stakeholder-history",
    ),
]

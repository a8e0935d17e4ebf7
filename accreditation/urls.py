from django.urls import path

from . import views

urlpatterns = [
    path("applications/", views.ApplicationListCreateView.as_view(), name="application-list"),
    path(
        "applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application-detail"
    ),
    path(
        "applications/<int:pk>/questionnaire/",
        views.ApplicationQuestionnaireView.as_view(),
        name="application-questionnaire",
    ),
    path(
        "applications/<int:pk>/answers/",
        views.ApplicationAnswersView.as_view(),
        name="application-answers",
    ),
    path(
        "applications/<int:pk>/documents/",
        views.ApplicationDocumentsView.as_view(),
        name="application-documents",
    ),
    path("applications/<int:pk>/submit/", views.ApplicationSubmitView.as_view()),
    path("applications/<int:pk>/provide-info/", views.ApplicationProvideInfoView.as_view()),
    path("applications/<int:pk>/hearing-response/", views.ApplicationHearingResponseView.as_view()),
    path("applications/<int:pk>/withdraw/", views.ApplicationWithdrawView.as_view()),
    path("applications/<int:pk>/assign/", views.ApplicationAssignView.as_view()),
    path("applications/<int:pk>/request-info/", views.ApplicationRequestInfoView.as_view()),
    path("applications/<int:pk>/findings/", views.ApplicationFindingsView.as_view()),
    path("applications/<int:pk>/extend/", views.ApplicationExtendView.as_view()),
    path("applications/<int:pk>/propose/", views.ApplicationProposeView.as_view()),
    path("applications/<int:pk>/decide/", views.ApplicationDecideView.as_view()),
    path("documents/<int:pk>/", views.DocumentDownloadView.as_view(), name="document-download"),
    path("authorisations/", views.AuthorisationListView.as_view(), name="authorisation-list"),
    path(
        "authorisations/<int:pk>/",
        views.AuthorisationDetailView.as_view(),
        name="authorisation-detail",
    ),
    path("authorisations/<int:pk>/suspend/", views.AuthorisationSuspendView.as_view()),
    path("authorisations/<int:pk>/reinstate/", views.AuthorisationReinstateView.as_view()),
    path("authorisations/<int:pk>/revoke/", views.AuthorisationRevokeView.as_view()),
    path(
        "authorisations/<int:pk>/extend-suspension/",
        views.AuthorisationExtendSuspensionView.as_view(),
    ),
    path(
        "authorisations/<int:pk>/hearing-response/",
        views.AuthorisationHearingResponseView.as_view(),
    ),
    path(
        "authorisations/<int:pk>/withdraw-measure/",
        views.AuthorisationWithdrawMeasureView.as_view(),
    ),
    path("infringements/", views.InfringementListCreateView.as_view(), name="infringement-list"),
    path("audit/", views.AuditEventListView.as_view(), name="audit-list"),
]

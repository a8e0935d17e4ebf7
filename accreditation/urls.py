from django.urls import include, path

urlpatterns: list = []
urlpatterns += [path("trust/", include("accreditation.trust.urls"))]

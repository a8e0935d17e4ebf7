"""The product's URLs plus the benchmark's comparison views (benchmark settings only)."""

from django.urls import path

from aeo_registry.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/bare/<str:value>/", views.bare),
    path("bench/naive/<str:value>/", views.NaiveLookupView.as_view()),
    *product_urlpatterns,
]

"""The operations pages' addresses, under /admin/operations/ (see site_config/urls.py)."""

from django.urls import path

from survival.ops import views

app_name = "ops"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:number>/", views.version_operations, name="version"),
]

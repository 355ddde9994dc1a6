from django.contrib import admin
from django.urls import include, path

from survival.api.endpoints import api
from survival.ops import health

# A 500 caused by an unreachable database is answered as 503 with a clear message.
handler500 = "survival.pages.server_error"

admin.site.site_header = "Titanic Survival Predictor"
admin.site.site_title = "Titanic Survival Predictor admin"
admin.site.index_title = "Model registry"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("", include("survival.urls")),
]

from django.contrib import admin
from django.urls import include, path

from survival import pages
from survival.api.endpoints import api
from survival.ops import health

# Every error in the site's own look (JSON under /api/); a 500 caused by an unreachable
# database is answered as 503 with a clear message.
handler400 = "survival.error_pages.bad_request"
handler403 = "survival.error_pages.permission_denied"
handler404 = "survival.error_pages.page_not_found"
handler500 = "survival.error_pages.server_error"

admin.site.site_header = "Titanic Survival Predictor"
admin.site.site_title = "Titanic Survival Predictor admin"
admin.site.index_title = "Model registry"

urlpatterns = [
    # Before the admin's own addresses, which would otherwise take this one.
    path("admin/operations/", include("survival.ops.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    # Pages that do not link an icon (the API docs) make browsers ask for this address.
    path("favicon.ico", pages.favicon, name="favicon"),
    path("", include("survival.urls")),
]

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Titanic Survival Predictor"
admin.site.site_title = "Titanic Survival Predictor admin"
admin.site.index_title = "Model registry"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("survival.urls")),
]

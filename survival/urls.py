from django.urls import path

from survival import batch, views

app_name = "survival"

urlpatterns = [
    path("", views.home, name="home"),
    path("predict/", views.predict, name="predict"),
    path("batch/", batch.batch, name="batch"),
    path("batch/<str:token>/scored.csv", batch.batch_download, name="batch_download"),
]

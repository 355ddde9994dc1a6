from django.urls import path

from survival import batch, model_pages, views

app_name = "survival"

urlpatterns = [
    path("", views.home, name="home"),
    path("predict/", views.predict, name="predict"),
    path("models/", model_pages.model_list, name="model_list"),
    path("models/<int:number>/", model_pages.model_card, name="model_card"),
    path("models/<int:number>/plots/<slug:name>.svg", model_pages.model_plot, name="model_plot"),
    path("batch/", batch.batch, name="batch"),
    path("batch/<str:token>/scored.csv", batch.batch_download, name="batch_download"),
]

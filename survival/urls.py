from django.urls import path

from survival.batch import views as batch
from survival.jobs import views as jobs
from survival.predictions import views as predictions
from survival.registry import views as registry

app_name = "survival"

urlpatterns = [
    path("", predictions.home, name="home"),
    path("predict/", predictions.predict, name="predict"),
    path("models/", registry.model_list, name="model_list"),
    path("models/<int:number>/", registry.model_card, name="model_card"),
    path("models/<int:number>/plots/<slug:name>.svg", registry.model_plot, name="model_plot"),
    path("batch/", batch.batch, name="batch"),
    path("jobs/<uuid:job_id>/", jobs.job_page, name="job"),
    path("jobs/<uuid:job_id>/download", jobs.job_download, name="job_download"),
]

from django.urls import path

from survival import views

app_name = "survival"

urlpatterns = [
    path("", views.home, name="home"),
    path("predict/", views.predict, name="predict"),
]

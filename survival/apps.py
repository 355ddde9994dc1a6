from django.apps import AppConfig


class SurvivalConfig(AppConfig):
    name = "survival"
    verbose_name = "Survival model"
    default_auto_field = "django.db.models.BigAutoField"

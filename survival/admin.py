"""Django's admin finds the admin of each concern here (admin.autodiscover imports this
module): the registry's versions and records, the prediction log, the jobs and the API
keys."""

from survival.apikeys import admin as apikeys_admin  # noqa: F401
from survival.jobs import admin as jobs_admin  # noqa: F401
from survival.predictions import admin as predictions_admin  # noqa: F401
from survival.registry import admin as registry_admin  # noqa: F401
from survival.registry import admin_records  # noqa: F401

"""Background jobs (Django's Tasks API on a database queue): their records, the training job,
the job's page and the admin's list. Batch scoring's job is survival.batch.tasks."""

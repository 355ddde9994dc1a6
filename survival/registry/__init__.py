"""The model registry: versions and their artifacts, activation through the promotion gate,
rollback, the challenger, the model pages and the admin."""

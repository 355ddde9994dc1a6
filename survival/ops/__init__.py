"""Running the service: health and readiness probes, Prometheus metrics, worker warm-up."""

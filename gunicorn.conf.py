"""gunicorn settings for `make serve`; the command line gives the address and workers."""


def post_worker_init(worker):
    # Each worker loads the active model and renders the page before its first request.
    from survival.warmup import warm_up

    warm_up()

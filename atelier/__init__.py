"""Atelier's shared core: settings, the domain error tree and the `atelier` command line.

Layout of the whole project (imports point downwards only):

    app/      FastAPI: REST API v1 and HTML pages; talks to workers through worker.queue only
    worker/   job store, job queue (embedded thread or Celery), the task functions
    models/   PyTorch networks, checkpoints, training and evaluation; never reads settings
    atelier/  settings, errors and CLI used by app and worker
"""

__version__ = "0.1.0"

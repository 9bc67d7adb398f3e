"""Job execution: the job store, the job queue (embedded thread pool or Celery over Redis) and the task
functions both queues run. The web app talks to this package only through `worker.queue` and `worker.store`."""

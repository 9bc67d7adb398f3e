"""The web front end: REST API v1, health probes and HTML pages. Jobs go to workers via worker.queue."""

"""What the running service tells its operators: stage timings (:mod:`.stages`) and
the library side of drift checks. Exporting (Prometheus, logs) is the API's job:
this package knows nothing of HTTP or of a metrics library."""

"""The background worker: delivers mail, keeps the search index in step, queues digests,
and tells the admin area that it is alive."""

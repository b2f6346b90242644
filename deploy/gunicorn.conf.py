"""Gunicorn settings for one web server (forum-web.service reads them from here)."""

# Behind a TLS-terminating proxy on this machine; bind a private address instead when a
# load balancer elsewhere sends the requests.
bind = "127.0.0.1:8000"
# Two processes a core, four threads each: a thread waits on PostgreSQL or Redis while
# another renders. Each process keeps up to 5 database connections (15 at a burst).
workers = 4
threads = 4
# Requests in progress get this long to finish on a restart or a stop.
graceful_timeout = 30
timeout = 60
# Gunicorn 24 and later: no control socket (one per user and machine; not used here).
control_socket_disable = True
accesslog = "-"

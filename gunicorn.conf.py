"""gunicorn settings for `make serve` and production (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be changed from the environment; README "Running on more than
one machine" explains them.
"""

import multiprocessing
import os

from demo_app.serving import install_gunicorn_hook

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# The app's registration POSTs carry big cookies and long custom data.
limit_request_field_size = 65536
limit_request_line = 8190
# Which proxies may set X-Forwarded-Proto (https) for gunicorn; the site's own
# TRUSTED_PROXY_HOPS decides whose X-Forwarded-For it believes.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("ACCESS_LOG", "-")
# No cookies, no Authorization: nothing secret reaches the access log.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"

# Keep header order and repeats for the registration receiver.
install_gunicorn_hook()

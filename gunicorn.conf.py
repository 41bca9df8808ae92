"""gunicorn settings for `make serve` and production (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be changed from the environment; README "Running on more than
one machine" explains them.
"""

import multiprocessing
import os
from pathlib import Path

from dotenv import dotenv_values

from demo_app.config import from_environment
from demo_app.serving import install_gunicorn_hook

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
# Threaded workers, one process per CPU: a request that waits (a OneSignal
# send has up to ONESIGNAL_DEADLINE) holds a thread, not a process.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# The app's registration POSTs carry big cookies and long custom data.
limit_request_field_size = 65536
limit_request_line = 8190
# Forwarded headers agree with the site's TRUSTED_PROXY_HOPS, read as the site
# reads it (the environment, else .env). With 0, the default, gunicorn believes
# no X-Forwarded-Proto (nor SCRIPT_NAME / PATH_INFO headers) from anyone, loopback
# and unix sockets included; with more, only from FORWARDED_ALLOW_IPS.
_env = {**dotenv_values(Path(__file__).with_name(".env")), **os.environ}
if from_environment(_env)["TRUSTED_PROXY_HOPS"] > 0:
    forwarded_allow_ips = _env.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}
    forwarder_headers = ""
accesslog = os.environ.get("ACCESS_LOG", "-")
# No cookies, no Authorization: nothing secret reaches the access log.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"

# Keep header order and repeats for the registration receiver.
install_gunicorn_hook()

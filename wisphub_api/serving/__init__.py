"""The serving edge: gunicorn's gevent worker, made fair, bounded and JSON at its own refusals.

``WispHubWorker`` (``worker.py``) is the ``worker_class`` of gunicorn.conf.py. It serves the
Flask app like gunicorn's gevent worker and adds what the app cannot do for itself:

- fairness: a keep-alive connection yields to the other connections after every request;
- bounded connections: a new connection must send its request headers within a timeout, and idle
  keep-alive connections are closed, oldest first, when the worker nears its connection limit;
- admission control: when the event loop falls behind, requests are answered 503 at once;
- JSON refusals: what gunicorn's parser refuses (400, 414, 431) is answered in the API's error
  shape and logged once, without the raw request line.

Nothing here imports Flask or the app: gunicorn loads the worker class in its master process,
before gevent has patched the standard library.
"""

"""Entry point: `python -m wisphub_api.sandbox --help`."""

from gevent import monkey

# Patch before anything imports socket, ssl or threading.
monkey.patch_all()

import sys  # noqa: E402

from wisphub_api.sandbox.server import main  # noqa: E402

sys.exit(main())

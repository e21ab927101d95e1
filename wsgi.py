"""Entry point: ``python wsgi.py`` serves the app; ``flask --app wsgi`` runs commands.

The async mode (``FACILITATION_ASYNC_MODE``: eventlet, gevent or threading) is the one thing decided
here, because eventlet and gevent must patch the standard library before anything else is imported.
"""

import os
import warnings

ASYNC_MODE = os.environ.get("FACILITATION_ASYNC_MODE", "eventlet")
SERVING = __name__ == "__main__"

# eventlet announces its maintenance mode on import (we serve with it as the customer asked).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

if SERVING and ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    # psycopg waits for PostgreSQL in C (poll) unless told otherwise, which would stop every greenlet
    # of the process for each query; its select() wait goes through eventlet's hub. (It finds gevent's
    # patches by itself.)
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
elif SERVING and ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

from facilitation import create_app  # noqa: E402
from facilitation.clustering.services import prepare_engine  # noqa: E402
from facilitation.extensions import socketio  # noqa: E402
from facilitation.security import server_options  # noqa: E402

app = create_app()

if SERVING:
    # Flask's CLI marks its environment; a server started from a process that once ran a CLI command
    # (a test suite) would otherwise refuse to run.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    host = os.environ.get("FACILITATION_HOST", "127.0.0.1")
    port = int(os.environ.get("FACILITATION_PORT", "5000"))
    # eventlet's and gevent's servers refuse connections past ~1,000 unless told otherwise.
    max_connections = int(os.environ.get("FACILITATION_MAX_CONNECTIONS", "5000"))
    options = {"max_size": max_connections} if ASYNC_MODE == "eventlet" else {}
    access_log = os.environ.get("FACILITATION_ACCESS_LOG") == "1"
    # The access log (FACILITATION_ACCESS_LOG=1) names no client address, in every mode.
    options.update(server_options(ASYNC_MODE, access_log))
    # The suggestion engine's imports and model (1–2 s) are paid here, before serving: an import holds
    # every greenlet of the process, so the first suggestion of a forum would stall all screens.
    prepare_engine(app)
    socketio.run(app, host=host, port=port, log_output=access_log, **options)

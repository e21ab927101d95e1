"""Entry point: ``python wsgi.py`` serves the app; ``flask --app wsgi`` runs commands.

The async mode (``FACILITATION_ASYNC_MODE``: eventlet, gevent or threading) is the one thing decided
here, because eventlet and gevent must patch the standard library before anything else is imported.
"""

import logging
import os
import sys
import warnings
from datetime import datetime

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

app = create_app()


# -- the server's access log: no client addresses ----------------------------------------------------

#: What the access log (``FACILITATION_ACCESS_LOG=1``) prints per request, in every async mode: time,
#: request line, status, size and duration; never the client's address.
ACCESS_LOG_FORMAT = '[%(date_time)s] "%(request_line)s" %(status_code)s %(body_length)s %(wall_seconds).3f'


def server_options(async_mode: str, access_log: bool) -> dict:
    """Options for ``socketio.run`` that keep client addresses out of the server's own log.

    eventlet: a log format without the address, and without its debug lines ("accepted ('10.0.0.7',
    …)"). gevent: a request handler whose log line has no address. threading (Werkzeug): a request
    handler whose log lines have no address; without the access log, Werkzeug logs only warnings and
    errors (it would otherwise print every request, whatever ``log_output`` says).
    """
    # Imported here: each server's module is loaded only in its own mode (eventlet and gevent must
    # not be imported side by side).
    if async_mode == "eventlet":
        import eventlet.wsgi

        return {
            "log_format": ACCESS_LOG_FORMAT,
            "log": eventlet.wsgi.LoggerFileWrapper(sys.stderr, debug=False),
        }
    if async_mode == "gevent":
        from gevent import GreenletExit, pywsgi

        class AddressFreeEnviron(pywsgi.WSGISecureEnviron):
            default_whitelist_keys = ("HTTP_HOST",)  # gevent's shows REMOTE_ADDR in error reports

        class AddressFreeHandler(pywsgi.WSGIHandler):
            def log_error(self, msg, *args) -> None:  # "Invalid request (from ('10.0.0.7', …))"
                super().log_error(msg, *("-" if arg == self.client_address else arg for arg in args))

            def _log_error(self, t, v, tb) -> None:
                if not issubclass(t, GreenletExit):
                    self.server.loop.handle_error(AddressFreeEnviron(self.environ), t, v, tb)

            def format_request(self) -> str:
                return ACCESS_LOG_FORMAT % {
                    "date_time": datetime.now().replace(microsecond=0),
                    "request_line": self.requestline or "",
                    "status_code": (self._orig_status or self.status or "000").split()[0],
                    "body_length": self.response_length or "-",
                    "wall_seconds": (self.time_finish - self.time_start) if self.time_finish else 0.0,
                }

        return {"handler_class": AddressFreeHandler}
    from werkzeug.serving import WSGIRequestHandler

    class AddressFreeRequestHandler(WSGIRequestHandler):
        def address_string(self) -> str:
            return "-"

    logging.getLogger("werkzeug").setLevel(logging.INFO if access_log else logging.WARNING)
    return {"request_handler": AddressFreeRequestHandler, "allow_unsafe_werkzeug": True}


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

"""The real server's access log names no client address, in every async mode."""

import pytest
import requests
from serverproc import start_server

pytestmark = pytest.mark.server

PATHS = ("/", "/login", "/join?code=NOPE42", "/datenschutz", "/socket.io/?EIO=4&transport=polling", "/nothing/here")


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent", "threading"])
@pytest.mark.parametrize("access_log", [True, False], ids=["access-log", "quiet"])
def test_the_server_log_names_no_address(tmp_path, async_mode, access_log):
    env = {"FACILITATION_ACCESS_LOG": "1"} if access_log else {}
    server = start_server(tmp_path, async_mode=async_mode, env=env)
    try:
        for path in PATHS:
            requests.get(server.url + path, timeout=10)
        requests.post(server.url + "/login", data={"email": "x@example.org"}, timeout=10)  # a 400 (no CSRF token)
    finally:
        server.stop()
    output = server.output()
    if access_log:
        assert '"GET /login HTTP/1.1" 200' in output, output[-2000:]
        assert "GET /nothing/here HTTP/1.1" in output, output[-2000:]  # Werkzeug colours a 404
    else:
        assert "GET /login" not in output, output[-2000:]
    assert "127.0.0.1" not in output.replace(server.url, ""), output[-2000:]

"""The real server's access log names no client address."""

import pytest
import requests
from serverproc import start_server

pytestmark = pytest.mark.server


def test_the_eventlet_access_log_names_no_address(tmp_path):
    server = start_server(tmp_path, async_mode="eventlet", env={"FACILITATION_ACCESS_LOG": "1"})
    try:
        for path in ("/", "/login", "/join?code=NOPE42", "/datenschutz"):
            requests.get(server.url + path, timeout=10)
    finally:
        server.stop()
    output = server.output()
    assert '"GET /login HTTP/1.1" 200' in output, output[-2000:]
    assert "127.0.0.1" not in output.replace(server.url, ""), output[-2000:]

"""Fixtures for the live tests: servers with a forum on them, and the moderator's and projector's screens."""

import pytest
from liveforum import Forum, Screen, log_in, start_forum


@pytest.fixture
def forum_factory(tmp_path, screens):
    """``forum_factory(async_mode)`` starts a forum; every server is stopped after the test.

    It depends on ``screens`` so that the servers stop before the screens close: a python-socketio
    client closing its WebSocket on the gevent or threading server waits 3 s for a close frame that
    never comes (simple-websocket on a WSGI server), and a closed server spares that wait.
    """
    forums = []

    def start(async_mode: str) -> Forum:
        forum = start_forum(tmp_path / async_mode, async_mode)
        forums.append(forum)
        return forum

    yield start
    for forum in forums:
        forum.server.stop()


@pytest.fixture
def screens():
    """Open a console (``screens.console(forum)``) or projector; all are closed after the test."""

    class Screens:
        opened: list[Screen] = []

        def console(self, forum: Forum) -> Screen:
            screen = Screen(forum, {"screen": "console", "code": forum.code}, http=log_in(forum.server))
            self.opened.append(screen)
            return screen

        def projector(self, forum: Forum) -> Screen:
            screen = Screen(forum, {"screen": "projector", "code": forum.code, "key": forum.key})
            self.opened.append(screen)
            return screen

    opened = Screens()
    yield opened
    for screen in opened.opened:
        screen.close()

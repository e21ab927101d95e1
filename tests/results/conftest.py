"""Fixtures for the results tests (defined in ``tests/votingfixtures.py``, shared with ``tests/voting``)."""

from votingfixtures import client_id, console, phone, projector, vote_step, vote_workshop, voter  # noqa: F401

"""Fixtures for the voting tests (defined in ``tests/votingfixtures.py``, shared with ``tests/results``)."""

from votingfixtures import client_id, console, phone, projector, vote_step, vote_workshop, voter  # noqa: F401

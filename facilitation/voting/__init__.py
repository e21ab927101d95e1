"""Voting domain."""

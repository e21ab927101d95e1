"""Participation domain."""

"""Exports domain."""

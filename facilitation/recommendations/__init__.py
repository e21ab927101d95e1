"""Recommendations domain."""

"""Workshops domain."""

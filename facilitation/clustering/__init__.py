"""Clustering domain."""

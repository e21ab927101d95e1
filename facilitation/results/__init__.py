"""Results domain."""

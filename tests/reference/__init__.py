"""Naive references written from the specs, for cross-checking the real implementations."""

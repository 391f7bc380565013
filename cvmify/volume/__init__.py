"""Persistent encrypted volumes (docs/volume-format.md)."""

"""Offline launch measurements, byte-equal to what the guest computes (docs/measurements.md)."""

"""The encrypted, integrity-protected root filesystem image (docs/disk-format.md)."""

"""cvmify: turn an OCI container image into a confidential VM bundle."""

__version__ = "0.1.0"

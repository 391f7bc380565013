"""One module per CLI command. Each takes explicit arguments and returns a
typed result (rendered by cvmify/result.py); none of them prints."""

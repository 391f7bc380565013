"""`python -m cvmify`."""

from cvmify.cli import main

main()

#!/bin/sh
# Greets whoever is named on the command line (default: CMD = "world").
echo "$GREETING, ${1:-world}! This shell runs inside a cvmify confidential VM."

"""PyInstaller entry of the `tokenlens` console executable (same as `python -m tokenlens`)."""

from tokenlens.cli import main

main()

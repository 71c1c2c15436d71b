"""PyInstaller entry of the windowed `tokenlens-gui` executable (no console on Windows/macOS)."""

from tokenlens.cli import gui_main

gui_main()

"""``python -m cwb``."""

from cwb.cli import main

main()

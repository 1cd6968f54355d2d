"""``python -m phasenas`` is the ``phasenas`` command."""

from phasenas.cli import main

main()

"""``python -m backspasm``: the same command line as the ``backspasm`` script."""

from .cli import main

main(prog_name="backspasm")

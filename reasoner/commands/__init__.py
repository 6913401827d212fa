"""The ``backspasm`` command line's commands, one module per group of commands (the top layer).

``cli.py`` is the entry point: it names each command and the module that holds it, and
:class:`group.Commands` imports a command's module only when that command runs (or when
help lists it), so answering one patient never imports the batch, KB-tool or service code.

=================  ==========================================================
module             commands
=================  ==========================================================
``options``        the options and arguments commands share; loading the KB
``group``          the group: library errors as messages and exit codes
``answer``         ``recommend``
``explain``        ``why``, ``why-not``
``cohort``         ``batch``
``query``          ``query``, ``example``
``kb``             ``kb path|lint|diff|rules|evidence|sql|coverage|docs|verify``
``serve``          ``serve``
``reference``      every command's ``--help``: docs/cli-reference.md
=================  ==========================================================
"""

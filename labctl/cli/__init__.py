"""The command line: one module per command, registered once in ``main``; exit codes, target
resolution and error reporting in ``common`` and ``selection``."""

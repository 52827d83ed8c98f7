"""``python -m servicedesk`` is the ``servicedesk`` command."""

from servicedesk.cli import main

main()

"""The bundle's entry point: the same ``main`` as the ``ii-desktop`` command."""

from ii_desktop.cli.main import main

raise SystemExit(main())

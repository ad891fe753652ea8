from ii_desktop.cli.main import main

raise SystemExit(main())

from hoops.cli import main

raise SystemExit(main())

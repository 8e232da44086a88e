import sys

from data_access.cli.main import main

sys.exit(main())

import sys

from models.datasets.fetch import main

sys.exit(main())

"""The one way a models/ module becomes a command: `add_arguments(parser)` + `run(args)`.

Used by each module's `python -m ...` entry and by `atelier train|benchmark ...` (atelier/cli.py).
"""

from __future__ import annotations

import argparse
import logging
from typing import Callable


def module_main(add_arguments: Callable[[argparse.ArgumentParser], None], run: Callable[[argparse.Namespace], int],
                *, prog: str, description: str | None, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_arguments(parser)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(run(parser.parse_args(argv)) or 0)

"""Seeds, torch-free so the web process can validate them without importing torch."""

from __future__ import annotations

import numpy as np

# Seeds are 32-bit so they fit every UI, JSON number and PNG text chunk without loss.
MAX_SEED = 2**32 - 1


def class_for_seed(seed: int, num_classes: int) -> int:
    """The class used when a request names none: derived from the seed, so it is reproducible too."""
    return int(np.random.default_rng(int(seed)).integers(num_classes))

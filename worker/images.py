"""PNG encoding with provenance, and result grids.

The code lives in models/images.py (torch-free), so that model previews (models/preview.py, also written by the
GAN trainer's export) are drawn by the very functions that draw the job API's grids; this module keeps the
worker-side names.
"""

from __future__ import annotations

from models.images import PROVENANCE_KEY, encode_png, make_grid, read_provenance

__all__ = ["PROVENANCE_KEY", "encode_png", "make_grid", "read_provenance"]

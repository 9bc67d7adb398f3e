"""Files out of Debian packages without root: `apt-get download` + `dpkg-deb --fsys-tarfile | tar -x <members>`.

That is what `dpkg -x` does, for the named members only. Used by every data set that comes from a package
(models/photos.py, models/datasets/). Members are written as the package names them, e.g.
`./usr/share/fonts/truetype/arphic/ukai.ttc`, below the destination folder.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def extract_deb_members(package: str, members: list[str], dest: Path) -> None:
    """`apt-get download <package>` into a temporary folder, then unpack only `members` below `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        log.info("fetching Debian package %s", package)
        subprocess.run(["apt-get", "download", package], cwd=tmp, check=True, capture_output=True)
        (deb,) = Path(tmp).glob(f"{package}_*.deb")
        tar_stream = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(dest), *members], stdin=tar_stream.stdout, check=True)
        if tar_stream.wait() != 0:
            raise RuntimeError(f"dpkg-deb failed on {deb}")


def package_files(package: str, members: list[str], downloads: Path, root: Path | None = None) -> Path:
    """The folder below which `members` of `package` lie (path = folder / member).

    With `root` (an unpacked file-system tree: `/` where the package is installed, or a test's fake layout) the
    files are read from there and nothing is fetched. Otherwise they are extracted once into
    downloads/<package>/ and reused from there on later calls.
    """
    if root is not None:
        missing = [m for m in members if not (Path(root) / m).is_file()]
        if missing:
            raise FileNotFoundError(f"{root}: {package} files missing: {', '.join(missing)}")
        return Path(root)
    folder = Path(downloads) / package
    if not all((folder / m).is_file() for m in members):
        extract_deb_members(package, members, folder)
    return folder

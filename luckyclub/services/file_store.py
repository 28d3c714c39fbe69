"""Files the app keeps on disk (proofs, prize pictures, winners' photos and videos): random
names, atomic writes, private modes.

Folders live under the data folder, outside everything the web server serves; routes that check
who is asking hand the files out.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from contextlib import suppress
from pathlib import Path

_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp|pdf|mp4|webm)$")
# What each stored extension is served as: the extension was chosen from the file's checked content.
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
}


def store(folder: Path, data: bytes, extension: str) -> str:
    """Write the bytes atomically under a new random name and return the name."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask, and ignored if it existed
    stored_name = secrets.token_hex(16) + extension
    # mkstemp creates the file 0600, in the same folder so os.replace is an atomic rename.
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, folder / stored_name)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return stored_name


def path_for(folder: Path, stored_name: str) -> Path:
    """The path of a stored file; a name that store() could not have made is refused."""
    if not _STORED_NAME.match(stored_name or ""):
        raise ValueError(f"not a stored file name: {stored_name!r}")
    return folder / stored_name


def content_type(path: Path) -> str:
    return CONTENT_TYPES[path.suffix]


def copy(folder: Path, stored_name: str) -> str:
    """A second stored copy of a file (a duplicated competition's pictures), under a new name."""
    path = path_for(folder, stored_name)
    return store(folder, path.read_bytes(), path.suffix)


def discard(folder: Path, stored_name: str) -> None:
    """Remove a stored file whose row was never committed (the caller's transaction failed)."""
    with suppress(FileNotFoundError, ValueError):
        path_for(folder, stored_name).unlink()

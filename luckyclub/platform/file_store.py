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

from sqlalchemy import event
from sqlalchemy.orm import Session

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


def store_for(session: Session, folder: Path, data: bytes, extension: str) -> str:
    """store(), for a row of this session: the file is deleted again if the session's transaction
    does not commit, so a failed upload (one bad picture among several) leaves nothing behind."""
    stored_name = store(folder, data, extension)
    _when_settled(session, rolled_back=lambda: discard(folder, stored_name))
    return stored_name


def discard_after_commit(session: Session, folder: Path, stored_name: str) -> None:
    """Remove a file its row no longer names, once that change is committed (kept on rollback)."""
    _when_settled(session, committed=lambda: discard(folder, stored_name))


_PENDING = "luckyclub.file_store.pending"  # session.info key: [(committed, rolled_back), ...]


def _when_settled(session: Session, *, committed=None, rolled_back=None) -> None:
    """Call `committed` or `rolled_back` when the session's outermost transaction ends.

    A savepoint's commit or rollback is not the end: only the outermost transaction decides whether
    the row naming the file exists. A session closed without a commit counts as rolled back.
    """
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        # Listeners stay for the session's life (SQLAlchemy cannot remove one while it runs).
        event.listen(session, "after_commit", _note_commit)
        event.listen(session, "after_transaction_end", _settle)
    if session.get_transaction() is None:
        session.begin()  # the file belongs to the next transaction: make it begin now
    session.info[_PENDING].append((committed, rolled_back))


def _note_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info[_PENDING + ".committed"] = True


def _settle(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    was_committed = session.info.pop(_PENDING + ".committed", False)
    pending, session.info[_PENDING] = session.info[_PENDING], []
    for committed, rolled_back in pending:
        then = committed if was_committed else rolled_back
        if then is not None:
            then()


def path_for(folder: Path, stored_name: str) -> Path:
    """The path of a stored file; a name that store() could not have made is refused."""
    if not _STORED_NAME.match(stored_name or ""):
        raise ValueError(f"not a stored file name: {stored_name!r}")
    return folder / stored_name


def content_type(path: Path) -> str:
    return CONTENT_TYPES[path.suffix]


def copy_for(session: Session, folder: Path, stored_name: str) -> str | None:
    """A second stored copy of a file (a duplicated competition's pictures), under a new name, for
    a row of this session (see store_for); None when the original is gone from the disk."""
    path = path_for(folder, stored_name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return store_for(session, folder, data, path.suffix)


def discard(folder: Path, stored_name: str) -> None:
    """Remove a stored file whose row was never committed (the caller's transaction failed)."""
    with suppress(FileNotFoundError, ValueError):
        path_for(folder, stored_name).unlink()

"""What admins add to a winner for the champions page: a few words (a manual winner's name and
town, a quote) and a photo or video. The file is checked by its content, stored privately, and
shown only to admins until the winner is published; then to everyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.models import Draw, DrawWinner, User, WinnerStatus
from luckyclub.platform import audit, draws, file_store, uploads
from luckyclub.platform.permissions import require_admin

MAX_DETAILS = 1000
MAX_VIDEO_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = uploads.MAX_PROOF_BYTES
PHOTOS = uploads.IMAGE_TYPES


@dataclass(frozen=True)
class Video:
    label: str
    content_type: str
    extension: str
    names: tuple[str, ...]  # the name extensions that may carry it


MP4 = Video("an MP4 video", "video/mp4", ".mp4", ("mp4", "m4v"))
WEBM = Video("a WebM video", "video/webm", ".webm", ("webm",))
# ISO base media brands of the MP4 family a browser plays; QuickTime ("qt  ") is not one of them.
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V "}
_NOT_MEDIA = (
    "“{name}” is not a photo (PNG, JPEG or WebP) or a video (MP4 or WebM). "
    "Export it again in one of those formats and upload that."
)


def sniff_video(data: bytes) -> Video | None:
    """MP4 by its leading `ftyp` box and a known brand; WebM by its EBML header's doctype."""
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _MP4_BRANDS:
        size = int.from_bytes(data[:4], "big")
        if 16 <= size <= 4096 and size <= len(data):
            return MP4
    if data.startswith(b"\x1a\x45\xdf\xa3") and b"\x42\x82\x84webm" in data[:64]:
        return WEBM
    return None


def _winner(session: Session, winner_id: int) -> DrawWinner:
    """The winner an admin is changing, announced as changed (with its draw) in this unit of
    work."""
    winner = session.get(DrawWinner, winner_id)
    if winner is None:
        raise UserError("That winner no longer exists.")
    if winner.status == WinnerStatus.REPLACED:
        raise UserError("This winner was replaced; add details to their replacement instead.")
    draws.announce(session, db.get_existing(session, Draw, winner.draw_id), [winner])
    return winner


def set_details(session: Session, admin: User, winner_id: int, details: str) -> DrawWinner:
    """The words shown with the winner on the champions page (empty removes them)."""
    require_admin(admin)
    winner = _winner(session, winner_id)
    details = "\n".join(" ".join(line.split()) for line in (details or "").strip().splitlines())
    if len(details) > MAX_DETAILS:
        raise UserError(
            f"Winner details have at most {MAX_DETAILS:,} characters; this has {len(details):,}.",
            field="details",
        )
    winner.details = details
    audit.record(session, admin, "winner.details", "draw_winner", winner.id, details[:200])
    return winner


def _checked(filename: str, data: bytes, claimed_type: str) -> tuple[bytes, str, str]:
    """(bytes to store, extension, content type) of a winner's photo or video; or a sentence."""
    name = uploads.check_filename(filename)
    if not data:
        raise UserError("This file is empty. Choose the photo or video again and upload it.")
    if len(data) > MAX_VIDEO_BYTES:
        size_mb = math.ceil(len(data) * 10 / (1024 * 1024)) / 10
        raise UserError(
            f"This file is {size_mb:.1f} MB; a winner's video can be at most "
            f"{MAX_VIDEO_BYTES // (1024 * 1024)} MB. Trim or compress it and try again."
        )
    shown = name if len(name) <= 60 else name[:57] + "…"
    if uploads.sniff(data) in PHOTOS:
        if len(data) > MAX_PHOTO_BYTES:
            raise UserError(
                f"A winner's photo can be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB. "
                "Send a smaller photo and try again."
            )
        checked = uploads.check_upload(name, data, claimed_type)
        return checked.data, checked.file_type.extension, checked.file_type.content_type
    video = sniff_video(data)
    if video is None:
        raise UserError(_NOT_MEDIA.format(name=shown))
    extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if extension and extension not in video.names:
        raise UserError(
            f"This file is {video.label}, but its name ends in .{extension[:20]}. "
            f"Rename it to end in {video.extension} and try again."
        )
    return data, video.extension, video.content_type


def attach_media(
    session: Session,
    admin: User,
    winner_id: int,
    *,
    filename: str,
    data: bytes,
    claimed_type: str = "",
) -> DrawWinner:
    """A winner's photo (re-encoded without metadata) or video, replacing any earlier one."""
    require_admin(admin)
    winner = _winner(session, winner_id)
    stored, extension, content_type = _checked(filename, data, claimed_type)
    folder = get_settings().winner_media_dir
    previous = winner.media_name
    winner.media_name = file_store.store_for(session, folder, stored, extension)
    winner.media_type = content_type
    audit.record(session, admin, "winner.media", "draw_winner", winner.id, filename[:200])
    if previous:
        file_store.discard_after_commit(session, folder, previous)
    return winner


def remove_media(session: Session, admin: User, winner_id: int) -> DrawWinner:
    require_admin(admin)
    winner = _winner(session, winner_id)
    previous, winner.media_name, winner.media_type = winner.media_name, None, None
    audit.record(session, admin, "winner.media_removed", "draw_winner", winner.id)
    if previous:
        file_store.discard_after_commit(session, get_settings().winner_media_dir, previous)
    return winner


def media_file(
    session: Session, winner_id: int, viewer: User | None = None
) -> tuple[Path, str] | None:
    """A winner's photo or video the viewer may see: anyone once the winner is published (and not
    replaced), otherwise admins only. (path, content type), or None."""
    winner = session.get(DrawWinner, winner_id)
    if winner is None or not winner.media_name:
        return None
    public = winner.published_at is not None and winner.status != WinnerStatus.REPLACED
    if not public and not (viewer and viewer.is_admin and viewer.banned_at is None):
        return None
    try:
        path = file_store.path_for(get_settings().winner_media_dir, winner.media_name)
    except ValueError:
        return None
    return (path, file_store.content_type(path)) if path.exists() else None

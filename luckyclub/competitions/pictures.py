"""Prize pictures: checked by content and re-encoded like proofs, stored privately, served by the
API to whoever may see the competition (drafts: admins only)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlmodel import Session

from luckyclub.competitions import catalogue
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.models import Competition, CompetitionStatus, User
from luckyclub.platform import audit, file_store, uploads
from luckyclub.platform.permissions import require_admin

MAX_IMAGES = 8


_IMAGE_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp)$")


def add_image(
    session: Session,
    admin: User,
    competition_id: int,
    *,
    filename: str,
    data: bytes,
    claimed_type: str = "",
) -> Competition:
    """A prize picture: checked by content and re-encoded like a proof, stored privately."""
    require_admin(admin)
    competition = catalogue.get(session, competition_id)
    names = catalogue.images_of(competition)
    if len(names) >= MAX_IMAGES:
        raise UserError(f"A competition has at most {MAX_IMAGES} pictures; remove one first.")
    checked = uploads.check_upload(
        filename,
        data,
        claimed_type,
        allowed=uploads.IMAGE_TYPES,
        refusal=uploads.NOT_A_PICTURE,
    )
    folder = get_settings().competition_image_dir
    names.append(file_store.store_for(session, folder, checked.data, checked.file_type.extension))
    competition.images = json.dumps(names)
    catalogue.announce(session, competition_id)
    audit.record(session, admin, "competition.image", "competition", competition.id, filename[:200])
    return competition


def remove_image(session: Session, admin: User, competition_id: int, name: str) -> Competition:
    require_admin(admin)
    competition = catalogue.get(session, competition_id)
    names = catalogue.images_of(competition)
    if name not in names:
        raise UserError("That picture was removed already.")
    names.remove(name)
    competition.images = json.dumps(names)
    catalogue.announce(session, competition_id)
    audit.record(session, admin, "competition.image_removed", "competition", competition.id)
    file_store.discard_after_commit(session, get_settings().competition_image_dir, name)
    return competition


def image_file(
    session: Session, competition_id: int, name: str, *, viewer: User | None = None
) -> tuple[Path, str] | None:
    """A prize picture the viewer may see (drafts: admins only): (path, content type), or None."""
    competition = session.get(Competition, competition_id)
    if (
        competition is None
        or not _IMAGE_NAME.match(name or "")
        or name not in catalogue.images_of(competition)
    ):
        return None
    if competition.status == CompetitionStatus.DRAFT and not (viewer and viewer.is_admin):
        return None
    path = file_store.path_for(get_settings().competition_image_dir, name)
    return (path, file_store.content_type(path)) if path.exists() else None

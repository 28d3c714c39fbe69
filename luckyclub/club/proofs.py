"""Proof uploads: members send proof of an action for bonus entries, admins review it.

Files are checked in `proof_files`, stored privately under a random name in `proof_dir()`, and
only ever served through `open_file` (owner or admin). Approving credits the ledger in the same
transaction as the review, keyed by the proof, so a proof can only ever be credited once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from luckyclub.club import ledger, raffles
from luckyclub.core import db
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when
from luckyclub.models import (
    LedgerSource,
    ProofKind,
    ProofStatus,
    ProofUpload,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, file_store, uploads
from luckyclub.platform.permissions import require_admin
from luckyclub.platform.uploads import FILE_TYPES, check_upload, hamming_distance

MAX_PROOF_BYTES = uploads.MAX_PROOF_BYTES  # the upload page states the limit

NEAR_DUPLICATE_DISTANCE = 6  # of 64 pHash bits: re-saved, recompressed or lightly edited copies
NEAR_DUPLICATE_LOOKBACK = 5000  # the most recent image proofs compared for near-duplicates
MAX_NOTE_LENGTH = 1000
_CONTENT_TYPES = {t.extension: t.content_type for t in FILE_TYPES}


def proof_dir() -> Path:
    """Where proof files live: a private folder under the data dir, never one the web serves.
    (One function, so tests can point it somewhere else.)"""
    return get_settings().proof_dir


def file_url(proof_id: int) -> str:
    """The only address a proof file is served at (see luckyclub/api/proofs.py)."""
    return f"/api/proofs/{proof_id}/file"


# ---- proof kinds (admin-managed) ------------------------------------------------------------


def list_kinds(session: Session, *, include_inactive: bool = False) -> list[ProofKind]:
    query = select(ProofKind)
    if not include_inactive:
        query = query.where(col(ProofKind.active).is_(True))
    return list(session.exec(query.order_by(col(ProofKind.name), col(ProofKind.id))))


def _whole_number(value: int | str, low: int, high: int, words: str, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise UserError(f"{words} must be a whole number from {low} to {high}.", field=field)
    return number


def _checked_kind(
    session: Session, name: str, entries: int | str, monthly_limit: int | str, kind_id=None
) -> tuple[str, int, int]:
    name = " ".join((name or "").split())
    if not 3 <= len(name) <= 120:
        raise UserError("Give the proof kind a name of 3 to 120 characters.", field="name")
    entries = _whole_number(entries, 1, 1000, "Entries", "entries")
    monthly_limit = _whole_number(monthly_limit, 1, 100, "The monthly limit", "monthly_limit")
    same_name = session.exec(
        select(ProofKind.id).where(func.lower(ProofKind.name) == name.lower())
    ).all()
    if any(other != kind_id for other in same_name):
        raise UserError(f"There is already a proof kind called “{name}”.", field="name")
    return name, entries, monthly_limit


def create_kind(
    session: Session, admin: User, *, name: str, entries: int | str, monthly_limit: int | str
) -> ProofKind:
    require_admin(admin)
    name, entries, monthly_limit = _checked_kind(session, name, entries, monthly_limit)
    kind = ProofKind(name=name, entries=entries, monthly_limit=monthly_limit)
    session.add(kind)
    session.flush()
    _kinds_changed(session)
    audit.record(
        session,
        admin,
        "proof_kind.create",
        "proof_kind",
        kind.id,
        f"{name}: {entries} entries, {monthly_limit} a month",
    )
    return kind


def update_kind(
    session: Session,
    admin: User,
    kind_id: int,
    *,
    name: str,
    entries: int | str,
    monthly_limit: int | str,
    active: bool,
) -> ProofKind:
    """Change a kind. Proofs already approved keep the entries they were credited."""
    require_admin(admin)
    kind = session.get(ProofKind, kind_id)
    if kind is None:
        raise UserError("That proof kind no longer exists.")
    name, entries, monthly_limit = _checked_kind(session, name, entries, monthly_limit, kind.id)
    new = {"name": name, "entries": entries, "monthly_limit": monthly_limit, "active": bool(active)}
    changed = {field: value for field, value in new.items() if getattr(kind, field) != value}
    for field, value in changed.items():
        setattr(kind, field, value)
    if changed:
        _kinds_changed(session)
        detail = ", ".join(f"{field}={value}" for field, value in changed.items())
        audit.record(session, admin, "proof_kind.update", "proof_kind", kind.id, detail)
    return kind


def _kinds_changed(session: Session) -> None:
    """The kinds are listed in the admin's proof queue and on every member's dashboard (the
    proof form), which follows the club."""
    changes.announce(session, changes.ADMIN_PROOFS, changes.CLUB)


# ---- submitting -----------------------------------------------------------------------------


NO_OPEN_RAFFLE = "There is no open raffle to earn entries in right now."


def why_not_now(
    session: Session, user: User | None, now: datetime | None = None
) -> UserError | None:
    """Why this person cannot send a proof now (the dashboard shows it instead of the form), or
    None when they can."""
    if user is None or user.banned_at is not None:
        return NotAllowed("Sign in to send a proof.")
    if user.email_verified_at is None:
        # Checking an upload costs memory and time: only for people who proved their address.
        return NotAllowed(
            "Confirm your email address first: follow the link we sent you when you joined, "
            "then send your proof."
        )
    now = now or utcnow()
    if raffles.current_raffle(session, now) is None:
        opens = raffles.next_opening(session, now)
        return UserError(
            f"{NO_OPEN_RAFFLE} The next raffle opens on "
            f"{when(opens, user.timezone)}: send your proof then."
            if opens
            else f"{NO_OPEN_RAFFLE} You can send proofs again when the next raffle opens."
        )
    return None


def submit(
    session: Session,
    user: User,
    *,
    kind_id: int,
    filename: str,
    data: bytes,
    note: str,
    claimed_type: str = "",
    now: datetime | None = None,
) -> ProofUpload:
    """Check, store and record a member's proof for the current raffle; the caller commits.

    The file is written before the row is committed. If the caller's transaction then fails,
    it should call `discard_file(proof.stored_name)`; a file left behind by a crash is harmless
    (nothing links to it) and can be swept by comparing the folder with the table.
    """
    now = now or utcnow()
    if (refusal := why_not_now(session, user, now)) is not None:
        raise refusal
    raffle = raffles.current_raffle(session, now)
    if raffle is None:  # closed since the check above
        raise UserError(NO_OPEN_RAFFLE)
    kind = session.get(ProofKind, kind_id) if kind_id else None
    if kind is None or not kind.active:
        raise UserError("Choose what your proof is for from the list.", field="kind_id")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError(
            f"Keep the note to {MAX_NOTE_LENGTH} characters or fewer; it is {len(note)} now.",
            field="note",
        )
    # One member's submissions one at a time, so two uploads at once cannot both slip under the
    # monthly limit. PostgreSQL locks the row; SQLite ignores FOR UPDATE, and the embedded
    # single-process mode accepts that a double submit might pass the limit by one.
    session.exec(select(User.id).where(User.id == user.id).with_for_update()).first()
    user_id, raffle_id = id_of(user), id_of(raffle)
    _check_monthly_limit(session, user_id, raffle_id, kind)
    checked = check_upload(filename, data, claimed_type)
    duplicate_note = _duplicate_note(session, user_id, checked.sha256, checked.perceptual_hash)
    # Random name, atomic write, 0600 in a 0700 folder; the uploaded name never touches the path.
    stored_name = file_store.store(proof_dir(), checked.data, checked.file_type.extension)
    proof = ProofUpload(
        user_id=user_id,
        raffle_id=raffle_id,
        kind_id=id_of(kind),
        note=note,
        stored_name=stored_name,
        original_name=filename.strip()[:255],
        content_type=checked.file_type.content_type,
        size_bytes=len(checked.data),
        sha256=checked.sha256,
        perceptual_hash=checked.perceptual_hash,
        duplicate_note=duplicate_note,
        created_at=now,
    )
    try:
        session.add(proof)
        session.flush()
    except BaseException:
        discard_file(stored_name)
        raise
    changes.announce(session, changes.ADMIN_PROOFS, changes.member(user_id))
    return proof


def _check_monthly_limit(session: Session, user_id: int, raffle_id: int, kind: ProofKind) -> None:
    used = session.exec(
        select(func.count(col(ProofUpload.id))).where(
            ProofUpload.user_id == user_id,
            ProofUpload.raffle_id == raffle_id,
            ProofUpload.kind_id == kind.id,
            col(ProofUpload.status).in_([ProofStatus.PENDING, ProofStatus.APPROVED]),
        )
    ).one()
    if used >= kind.monthly_limit:
        allowed = (
            "the proof allowed"
            if kind.monthly_limit == 1
            else f"the {kind.monthly_limit} proofs allowed"
        )
        raise UserError(
            f"You have already sent {allowed} for “{kind.name}” this month. "
            "You can send more when next month's raffle opens.",
            field="kind_id",
        )


def _duplicate_note(
    session: Session, user_id: int, sha256: str, perceptual_hash: str | None
) -> str:
    """What the reviewer should know: the same file, or a near-identical image, sent before."""
    same = session.exec(
        select(ProofUpload.id, ProofUpload.user_id, ProofUpload.status)
        .where(ProofUpload.sha256 == sha256)
        .order_by(col(ProofUpload.id))
        .limit(3)
    ).all()
    similar = []
    if perceptual_hash:
        recent = session.exec(
            select(
                ProofUpload.id, ProofUpload.user_id, ProofUpload.status, ProofUpload.perceptual_hash
            )
            .where(col(ProofUpload.perceptual_hash).is_not(None))
            .order_by(col(ProofUpload.id).desc())
            .limit(NEAR_DUPLICATE_LOOKBACK)
        ).all()
        seen = {proof_id for proof_id, _, _ in same}
        close = [
            (hamming_distance(perceptual_hash, other_hash), proof_id, owner, status)
            for proof_id, owner, status, other_hash in recent
            if proof_id not in seen and other_hash is not None  # the query's is_not(None)
        ]
        similar = sorted(c for c in close if c[0] <= NEAR_DUPLICATE_DISTANCE)[:3]
    if not same and not similar:
        return ""
    owners = {owner for _, owner, _ in same} | {owner for _, _, owner, _ in similar}
    names = dict(
        session.exec(select(User.id, User.display_name).where(col(User.id).in_(owners))).all()
    )

    def who(owner: int) -> str:
        return "this member" if owner == user_id else f"{names.get(owner, 'a member')} (#{owner})"

    notes = [
        f"Same file as proof #{pid} ({status}) from {who(owner)}." for pid, owner, status in same
    ]
    notes += [
        f"Looks like proof #{pid} ({status}) from {who(owner)}."
        for _, pid, owner, status in similar
    ]
    return " ".join(notes)[:500]


def _path_for(stored_name: str) -> Path:
    return file_store.path_for(proof_dir(), stored_name)


def discard_file(stored_name: str) -> None:
    """Remove a stored file whose row was never committed (the caller's transaction failed)."""
    file_store.discard(proof_dir(), stored_name)


# ---- reviewing ------------------------------------------------------------------------------


def review(
    session: Session, admin: User, proof_id: int, *, approve: bool, reason: str = ""
) -> ProofUpload:
    """Approve (crediting the kind's entries) or reject (with a reason) a pending proof.

    The claim is one conditional UPDATE: of two admins clicking at once, one changes the row and
    the other changes nothing and is told who was first.
    """
    require_admin(admin)
    reason = " ".join((reason or "").split())
    if not approve and not reason:
        raise UserError("Write why the proof is rejected; the member will see it.", field="reason")
    if len(reason) > 500:
        raise UserError("Keep the reason under 500 characters.", field="reason")
    proof = session.get(ProofUpload, proof_id)
    if proof is None:
        raise UserError("That proof no longer exists.")
    claimed = session.exec(
        update(ProofUpload)
        .where(col(ProofUpload.id) == proof_id, col(ProofUpload.status) == ProofStatus.PENDING)
        .values(
            status=ProofStatus.APPROVED if approve else ProofStatus.REJECTED,
            reviewed_by=admin.id,
            reviewed_at=utcnow(),
            reject_reason="" if approve else reason,
        )
        # The row in memory may be stale; it is reloaded below, never guessed.
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise UserError(
            f"This proof was already reviewed by {_reviewer_name(session, proof_id)} "
            "— nothing was changed."
        )
    session.refresh(proof)
    changes.announce(session, changes.ADMIN_PROOFS, changes.member(proof.user_id))
    kind = db.get_existing(session, ProofKind, proof.kind_id)
    if approve:
        ledger.credit(
            session,
            raffle_id=proof.raffle_id,
            user_id=proof.user_id,
            source=LedgerSource.PROOF,
            amount=kind.entries,
            key=f"proof:{proof.id}",
            reason=f"Approved proof: {kind.name}",
            actor_id=admin.id,
        )
        detail = f"{kind.name}: +{kind.entries} entries for member #{proof.user_id}"
    else:
        detail = f"{kind.name}, member #{proof.user_id}: {reason}"
    action = "proof.approve" if approve else "proof.reject"
    audit.record(session, admin, action, "proof_upload", proof.id, detail)
    return proof


def _reviewer_name(session: Session, proof_id: int) -> str:
    # A column query, not session.get: it reads what the other admin committed.
    reviewer = session.exec(
        select(User.display_name)
        .join(ProofUpload, col(ProofUpload.reviewed_by) == col(User.id))
        .where(ProofUpload.id == proof_id)
    ).first()
    return reviewer or "another admin"


# ---- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """One pending proof with what the reviewer needs beside it."""

    proof: ProofUpload
    member_name: str
    member_email: str
    kind_name: str
    entries: int
    duplicate_note: str


def pending_count(session: Session) -> int:
    """How many proofs wait for review (the admin's club statistics)."""
    return session.exec(select(func.count()).where(ProofUpload.status == ProofStatus.PENDING)).one()


def pending_queue(session: Session, *, limit: int = 100) -> list[QueueItem]:
    """Pending proofs, oldest first."""
    # sqlmodel's select() is typed for at most four columns or tables; this one reads five.
    columns = select(  # type: ignore[call-overload]
        ProofUpload, User.display_name, User.email, ProofKind.name, ProofKind.entries
    )
    rows = session.exec(
        columns.join(User, col(User.id) == col(ProofUpload.user_id))
        .join(ProofKind, col(ProofKind.id) == col(ProofUpload.kind_id))
        .where(ProofUpload.status == ProofStatus.PENDING)
        .order_by(col(ProofUpload.id))
        .limit(limit)
    ).all()
    return [
        QueueItem(proof, name, email, kind_name, entries, proof.duplicate_note)
        for proof, name, email, kind_name, entries in rows
    ]


@dataclass(frozen=True)
class MemberProof:
    """A member's own proof as they may see it (no reviewer notes about other members)."""

    id: int
    kind_name: str
    entries: int
    status: str
    note: str
    original_name: str
    content_type: str
    reject_reason: str
    created_at: datetime
    reviewed_at: datetime | None
    file_url: str


def member_proofs(session: Session, user_id: int, *, limit: int = 50) -> list[MemberProof]:
    """A member's proofs, newest first."""
    rows = session.exec(
        select(ProofUpload, ProofKind.name, ProofKind.entries)
        .join(ProofKind, col(ProofKind.id) == col(ProofUpload.kind_id))
        .where(ProofUpload.user_id == user_id)
        .order_by(col(ProofUpload.id).desc())
        .limit(limit)
    ).all()
    return [
        MemberProof(
            id=id_of(proof),
            kind_name=kind_name,
            entries=entries,
            status=proof.status,
            note=proof.note,
            original_name=proof.original_name,
            content_type=proof.content_type,
            reject_reason=proof.reject_reason,
            created_at=proof.created_at,
            reviewed_at=proof.reviewed_at,
            file_url=file_url(id_of(proof)),
        )
        for proof, kind_name, entries in rows
    ]


def _version(session: Session, *where) -> str:
    newest, pending, last_review = session.exec(
        select(
            func.max(ProofUpload.id),
            func.coalesce(func.sum(case((col(ProofUpload.status) == ProofStatus.PENDING, 1))), 0),
            func.max(ProofUpload.reviewed_at),
        ).where(*where)
    ).one()
    reviewed = last_review.isoformat() if last_review else "-"
    return f"{newest or 0}:{int(pending)}:{reviewed}"


# ---- serving the file -----------------------------------------------------------------------


def open_file(session: Session, viewer: User | None, proof_id: int) -> tuple[Path, str, str]:
    """(path, content type, download name) of a proof's file, for its owner or an admin."""
    if viewer is None or viewer.banned_at is not None:
        raise NotAllowed("Sign in to see this file.")
    proof = session.get(ProofUpload, proof_id)
    if proof is None:
        raise UserError("That proof does not exist.")
    if proof.user_id != viewer.id and not viewer.is_admin:
        raise NotAllowed("Only the member who sent this proof and administrators can see it.")
    path = _path_for(proof.stored_name)
    if not path.is_file():
        raise UserError("The file for this proof is missing. Ask the member to send it again.")
    extension = path.suffix
    return (
        path,
        _CONTENT_TYPES[extension],
        download_name(proof.original_name, extension, id_of(proof)),
    )


def download_name(original_name: str, extension: str, proof_id: int) -> str:
    """A safe name to show in a header: the sender's name, plain ASCII, with the real extension."""
    stem = original_name.rsplit(".", 1)[0] if "." in original_name else original_name
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", stem).strip("._-")[:60]
    return f"{stem or f'proof-{proof_id}'}{extension}"

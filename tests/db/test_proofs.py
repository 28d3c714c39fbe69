"""Proof uploads: private storage, duplicate flags, the monthly limit, one review per proof that
credits the ledger once, and the file route that only the owner and admins can open."""

from __future__ import annotations

import io
import re
import stat
import threading
from datetime import timedelta

import pytest
import reflex as rx
from sqlmodel import Session, select
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.club import ledger, proofs, raffles
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import PROJECT_ROOT, get_settings, load_settings
from luckyclub.models import AuditLog, EntryLedger, ProofStatus, ProofUpload, Role, User, utcnow
from luckyclub.platform import accounts
from luckyclub.state.session import SESSION_COOKIE
from tests.db.factories import add_open_raffle, add_user
from tests.unit.test_proof_files import jpeg_bytes, pdf_bytes, screenshot

# ---- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_proof_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "proofs"
    monkeypatch.setattr(proofs, "proof_dir", lambda: folder)
    return folder


@pytest.fixture()
def raffle(session):
    now = utcnow()
    return add_open_raffle(session, raffles.month_of(now), closes_at=now + timedelta(days=10))


@pytest.fixture()
def admin(session) -> User:
    return add_user(session, "admin@example.com", Role.ADMIN)


def confirmed_member(session, email: str) -> User:
    """A member whose email address is confirmed, as sending a proof needs."""
    user = add_user(session, email)
    user.email_verified_at = utcnow()
    session.commit()
    return user


@pytest.fixture()
def member(session) -> User:
    return confirmed_member(session, "ann@example.com")


@pytest.fixture()
def other_member(session) -> User:
    return confirmed_member(session, "bob@example.com")


@pytest.fixture()
def kind(session, admin):
    kind = proofs.create_kind(
        session, admin, name="Shared on social media", entries=3, monthly_limit=2
    )
    session.commit()
    return kind


def png_bytes(seed: int = 1) -> bytes:
    out = io.BytesIO()
    screenshot(seed).save(out, format="PNG")
    return out.getvalue()


def submit(session, user, kind, data=None, filename="shot.png", note="") -> ProofUpload:
    proof = proofs.submit(
        session,
        user,
        kind_id=kind.id,
        filename=filename,
        data=png_bytes() if data is None else data,
        note=note,
    )
    session.commit()
    return proof


def review(session, admin, proof, approve=True, reason="") -> ProofUpload:
    reviewed = proofs.review(session, admin, proof.id, approve=approve, reason=reason)
    session.commit()
    return reviewed


def is_under(path, folder) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


# ---- submitting -------------------------------------------------------------------------------


def test_a_proof_is_stored_privately_under_a_random_name_readable_only_by_the_app(
    session, raffle, member, kind, private_proof_dir
):
    proof = submit(session, member, kind, filename="my holiday.png", note=" Shared it! ")

    stored = private_proof_dir / proof.stored_name
    assert re.fullmatch(r"[0-9a-f]{32}\.png", proof.stored_name)
    assert stored.is_file() and stored.read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(private_proof_dir.stat().st_mode) == 0o700
    assert [p.name for p in private_proof_dir.iterdir()] == [proof.stored_name]  # no temp file
    assert (proof.user_id, proof.raffle_id, proof.status) == (member.id, raffle.id, "pending")
    assert (proof.original_name, proof.note, proof.content_type) == (
        "my holiday.png",
        "Shared it!",
        "image/png",
    )
    assert proof.size_bytes == stored.stat().st_size
    assert proof.duplicate_note == ""


def test_the_proof_folder_is_outside_every_folder_the_web_server_serves(monkeypatch):
    monkeypatch.delenv("LUCKYCLUB_DATA_DIR", raising=False)
    for settings in (get_settings(), load_settings()):  # the test setup's and the default
        for public in ("assets", ".web", str(rx.get_upload_dir())):
            assert not is_under(settings.proof_dir, PROJECT_ROOT / public)


def test_a_proof_cannot_be_sent_without_an_open_raffle(session, member, kind):
    with pytest.raises(UserError, match="There is no open raffle to earn entries in right now."):
        submit(session, member, kind)


def test_a_member_who_has_not_confirmed_their_email_cannot_send_a_proof(
    session, raffle, kind, private_proof_dir
):
    newcomer = add_user(session, "new@example.com")

    with pytest.raises(NotAllowed, match="Confirm your email address first"):
        submit(session, newcomer, kind)

    assert session.exec(select(ProofUpload)).all() == []
    assert not private_proof_dir.exists() or list(private_proof_dir.iterdir()) == []


def test_a_proof_for_an_inactive_kind_is_refused(session, raffle, member, kind, admin):
    proofs.update_kind(
        session, admin, kind.id, name=kind.name, entries=3, monthly_limit=2, active=False
    )
    session.commit()

    with pytest.raises(UserError, match="Choose what your proof is for"):
        submit(session, member, kind)


def test_a_refused_file_leaves_nothing_behind(session, raffle, member, kind, private_proof_dir):
    with pytest.raises(UserError, match="is not a PNG, JPEG, WebP image or PDF"):
        submit(session, member, kind, data=b"<html>hi</html>", filename="page.png")

    assert session.exec(select(ProofUpload)).all() == []
    assert not private_proof_dir.exists() or list(private_proof_dir.iterdir()) == []


def test_the_same_file_from_another_member_is_flagged_as_a_duplicate(
    session, raffle, member, other_member, kind
):
    first = submit(session, member, kind, data=pdf_bytes(), filename="receipt.pdf")

    second = submit(session, other_member, kind, data=pdf_bytes(), filename="mine.pdf")

    assert first.duplicate_note == ""
    assert (
        second.duplicate_note
        == f"Same file as proof #{first.id} (pending) from Ann (#{member.id})."
    )
    assert second.sha256 == first.sha256


def test_a_re_saved_copy_of_an_image_is_flagged_as_near_identical(
    session, raffle, member, other_member, kind
):
    first = submit(session, member, kind, data=jpeg_bytes(screenshot(1), 95), filename="a.jpg")
    review(session, add_user(session, "eve@example.com", Role.ADMIN), first)
    touched = screenshot(1)
    touched.putpixel((5, 5), (0, 0, 0))
    copy = io.BytesIO()
    touched.save(copy, format="PNG")

    second = submit(session, other_member, kind, data=copy.getvalue(), filename="b.png")
    unrelated = submit(session, other_member, kind, data=png_bytes(seed=7), filename="c.png")

    assert second.sha256 != first.sha256
    assert (
        second.duplicate_note == f"Looks like proof #{first.id} (approved) from Ann (#{member.id})."
    )
    assert unrelated.duplicate_note == ""


def test_a_members_own_resent_file_is_flagged_for_the_reviewer(session, raffle, member, kind):
    first = submit(session, member, kind)

    again = submit(session, member, kind)

    assert again.duplicate_note == f"Same file as proof #{first.id} (pending) from this member."


def test_the_monthly_limit_counts_pending_and_approved_proofs_but_not_rejected_ones(
    session, raffle, member, admin, kind
):
    first = submit(session, member, kind, data=png_bytes(1))
    review(session, admin, first)
    submit(session, member, kind, data=png_bytes(2))

    with pytest.raises(UserError) as refused:
        submit(session, member, kind, data=png_bytes(3))
    assert refused.value.message.startswith(
        "You have already sent the 2 proofs allowed for “Shared on social media” this month."
    )

    pending = session.exec(select(ProofUpload).where(ProofUpload.status == "pending")).one()
    review(session, admin, pending, approve=False, reason="The post is not public.")
    assert submit(session, member, kind, data=png_bytes(3)).status == ProofStatus.PENDING


def test_a_failed_commit_can_discard_the_stored_file(
    session, raffle, member, kind, private_proof_dir
):
    proof = proofs.submit(
        session, member, kind_id=kind.id, filename="a.png", data=png_bytes(), note=""
    )
    session.rollback()  # the caller's transaction failed

    proofs.discard_file(proof.stored_name)

    assert list(private_proof_dir.iterdir()) == []
    outside = private_proof_dir.parent / "keep.png"
    outside.write_bytes(b"not a proof")
    proofs.discard_file("../keep.png")  # a name submit() could not have made is left alone
    assert outside.exists()


# ---- reviewing --------------------------------------------------------------------------------


def test_approving_credits_the_kinds_entries_once_into_the_ledger(
    session, raffle, member, admin, kind
):
    proof = submit(session, member, kind)
    before = ledger.balance(session, raffle.id, member.id)

    approved = review(session, admin, proof)

    assert approved.status == ProofStatus.APPROVED
    assert approved.reviewed_by == admin.id and approved.reviewed_at is not None
    assert ledger.balance(session, raffle.id, member.id) == before + kind.entries
    [row] = session.exec(select(EntryLedger)).all()
    assert (row.source, row.amount, row.idempotency_key, row.actor_id) == (
        "proof",
        3,
        f"proof:{proof.id}",
        admin.id,
    )
    assert row.reason == "Approved proof: Shared on social media"
    audit = session.exec(select(AuditLog).where(AuditLog.action == "proof.approve")).one()
    assert (audit.actor_id, audit.target_id) == (admin.id, str(proof.id))


def test_rejecting_stores_the_reason_and_credits_nothing(session, raffle, member, admin, kind):
    proof = submit(session, member, kind)

    rejected = review(session, admin, proof, approve=False, reason="  The post is   private. ")

    assert rejected.status == ProofStatus.REJECTED
    assert rejected.reject_reason == "The post is private."
    assert ledger.balance(session, raffle.id, member.id) == 0
    assert session.exec(select(AuditLog).where(AuditLog.action == "proof.reject")).one()
    [shown] = proofs.member_proofs(session, member.id)
    assert (shown.status, shown.reject_reason) == ("rejected", "The post is private.")


def test_rejecting_without_a_reason_is_refused(session, raffle, member, admin, kind):
    proof = submit(session, member, kind)

    with pytest.raises(UserError, match="Write why the proof is rejected"):
        proofs.review(session, admin, proof.id, approve=False, reason="  ")


def test_a_second_review_is_refused_and_names_the_first_reviewer(
    session, raffle, member, admin, kind
):
    proof = submit(session, member, kind)
    review(session, admin, proof)
    other_admin = add_user(session, "zoe@example.com", Role.ADMIN)

    with pytest.raises(UserError) as refused:
        proofs.review(session, other_admin, proof.id, approve=False, reason="Duplicate")
    session.rollback()

    assert refused.value.message == (
        "This proof was already reviewed by Admin — nothing was changed."
    )
    assert session.get(ProofUpload, proof.id).status == ProofStatus.APPROVED
    assert ledger.balance(session, raffle.id, member.id) == kind.entries


def test_a_member_cannot_review_a_proof(session, raffle, member, other_member, kind):
    proof = submit(session, member, kind)

    with pytest.raises(NotAllowed):
        proofs.review(session, other_member, proof.id, approve=True)
    with pytest.raises(NotAllowed):
        proofs.review(session, member, proof.id, approve=True)


def test_two_admins_approving_one_proof_at_once_credit_it_once(
    app_db, session, raffle, member, admin, kind
):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; the race needs PostgreSQL's row locks")
    proof = submit(session, member, kind)
    second_admin = add_user(session, "zoe@example.com", Role.ADMIN)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(admin_id: int) -> None:
        with Session(app_db, expire_on_commit=False) as s:
            reviewer = s.get(User, admin_id)
            start.wait(timeout=10)
            try:
                proofs.review(s, reviewer, proof.id, approve=True)
                s.commit()
                outcomes.append("approved")
            except UserError as exc:
                s.rollback()
                outcomes.append(exc.message)

    threads = [threading.Thread(target=approve, args=(a.id,)) for a in (admin, second_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("approved") == 1
    [refused] = [outcome for outcome in outcomes if outcome != "approved"]
    assert refused.startswith("This proof was already reviewed by")
    with Session(app_db) as s:
        assert ledger.balance(s, raffle.id, member.id) == kind.entries
        assert len(s.exec(select(EntryLedger)).all()) == 1


# ---- kinds, queue and versions ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "ab"}, "Give the proof kind a name of 3 to 120 characters."),
        ({"entries": 0}, "Entries must be a whole number from 1 to 1000."),
        ({"entries": "lots"}, "Entries must be a whole number from 1 to 1000."),
        ({"monthly_limit": 101}, "The monthly limit must be a whole number from 1 to 100."),
        ({"name": "shared ON social media"}, "There is already a proof kind called"),
    ],
)
def test_proof_kinds_are_checked_with_clear_sentences(session, admin, kind, fields, message):
    values = {"name": "Reviewed us", "entries": 2, "monthly_limit": 1} | fields

    with pytest.raises(UserError, match=message):
        proofs.create_kind(session, admin, **values)


def test_only_admins_manage_proof_kinds_and_every_change_is_audited(session, admin, member, kind):
    with pytest.raises(NotAllowed):
        proofs.create_kind(session, member, name="Reviewed us", entries=1, monthly_limit=1)

    proofs.update_kind(
        session, admin, kind.id, name="Shared online", entries="5", monthly_limit=2, active=False
    )
    session.commit()

    assert proofs.list_kinds(session) == []
    [listed] = proofs.list_kinds(session, include_inactive=True)
    assert (listed.name, listed.entries, listed.active) == ("Shared online", 5, False)
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["proof_kind.create", "proof_kind.update"]


def test_the_review_queue_lists_pending_proofs_oldest_first_with_what_the_reviewer_needs(
    session, raffle, member, other_member, admin, kind
):
    first = submit(session, member, kind, data=png_bytes(1))
    second = submit(session, other_member, kind, data=png_bytes(1))
    done = submit(session, other_member, kind, data=png_bytes(2))
    review(session, admin, done)

    queue = proofs.pending_queue(session)

    assert [item.proof.id for item in queue] == [first.id, second.id]
    assert (queue[0].member_name, queue[0].member_email) == ("Ann", "ann@example.com")
    assert (queue[0].kind_name, queue[0].entries) == ("Shared on social media", 3)
    assert queue[1].duplicate_note.startswith(f"Same file as proof #{first.id}")
    assert [p.id for p in proofs.member_proofs(session, other_member.id)] == [done.id, second.id]


# ---- the file over HTTP -----------------------------------------------------------------------


@pytest.fixture()
def client(app_db):
    with TestClient(build_api()) as client:
        yield client


def cookie_for(session, user: User) -> dict[str, str]:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return {"cookie": f"{SESSION_COOKIE}={token}"}


def test_the_owner_gets_the_file_with_headers_that_keep_it_inert(
    client, session, raffle, member, kind
):
    proof = submit(session, member, kind, filename='my "proof"\u00e9.png')

    response = client.get(proofs.file_url(proof.id), headers=cookie_for(session, member))

    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert "sandbox" in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["content-disposition"] == 'inline; filename="my_proof.png"'


def test_a_pdf_is_served_as_a_pdf(client, session, raffle, member, kind):
    proof = submit(session, member, kind, data=pdf_bytes(), filename="receipt.pdf")

    response = client.get(proofs.file_url(proof.id), headers=cookie_for(session, member))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == pdf_bytes()


def test_an_admin_can_open_any_proof(client, session, raffle, member, admin, kind):
    proof = submit(session, member, kind)

    response = client.get(proofs.file_url(proof.id), headers=cookie_for(session, admin))

    assert response.status_code == 200


def test_another_member_is_refused_the_file(client, session, raffle, member, other_member, kind):
    proof = submit(session, member, kind)

    response = client.get(proofs.file_url(proof.id), headers=cookie_for(session, other_member))

    assert response.status_code == 403
    assert "Only the member who sent this proof" in response.json()["message"]


def test_without_a_session_the_file_is_refused(client, session, raffle, member, kind):
    proof = submit(session, member, kind)

    response = client.get(proofs.file_url(proof.id))

    assert response.status_code == 401
    assert response.json() == {"message": "Sign in to see this file."}


def test_an_unknown_proof_is_not_found(client, session, member):
    response = client.get(proofs.file_url(999), headers=cookie_for(session, member))

    assert response.status_code == 404
    assert response.json() == {"message": "That proof does not exist."}


def test_a_proof_is_not_reachable_at_any_public_address(client, session, raffle, member, kind):
    proof = submit(session, member, kind)

    for url in (
        f"/_upload/{proof.stored_name}",
        f"/{proof.stored_name}",
        f"/proofs/{proof.stored_name}",
        f"/assets/{proof.stored_name}",
    ):
        assert client.get(url, headers=cookie_for(session, member)).status_code != 200


def test_a_proof_id_the_database_cannot_hold_is_a_404_not_a_crash(client, session, member):
    for proof_id in ("99999999999999999999", "²", "abc"):
        response = client.get(f"/api/proofs/{proof_id}/file", headers=cookie_for(session, member))

        assert response.status_code == 404
        assert response.json() == {"message": "There is no such file."}

"""The service functions the pages call instead of querying: what they return for rows that exist
and for rows that do not (a deleted account, a mistyped id), and the dashboard's one change."""

from __future__ import annotations

from luckyclub.club import membership, proofs
from luckyclub.competitions import catalogue
from luckyclub.models import Role
from luckyclub.platform import accounts, audit, draw_actions, members
from tests.db.factories import add_member, add_user


def test_recent_entries_name_the_acting_admin_and_the_system(session):
    admin = add_user(session, "admin@example.com", role=Role.ADMIN)
    member = add_user(session, "ann@example.com")
    audit.record(session, admin, "user.verify", "user", member.id)
    system_row = audit.record(session, admin, "job.sweep", "job", "sweep")
    system_row.actor_id = None
    session.commit()

    newest, oldest = audit.recent_entries(session, limit=10)

    assert (newest.actor_email, newest.action, newest.target_id) == (None, "job.sweep", "sweep")
    assert (oldest.actor_email, oldest.target_type, oldest.target_id) == (
        "admin@example.com",
        "user",
        str(member.id),
    )


def test_person_and_emails_leave_out_ids_of_nobody(session):
    ann = add_user(session, "ann@example.com")

    assert members.person(session, ann.id) == members.Person(ann.id, "Ann", "ann@example.com")
    assert members.person(session, 999_999) is None
    assert members.person(session, None) is None
    assert members.emails_of(session, [ann.id, None, 999_999]) == {ann.id: "ann@example.com"}
    assert members.emails_of(session, []) == {}


def test_lookups_of_missing_rows_say_none(session):
    assert draw_actions.winner_user_id(session, 999_999) is None
    assert catalogue.find(session, 999_999) is None
    assert catalogue.find(session, None) is None


def test_club_counts_for_the_stats_page(session):
    add_member(session, "ann@example.com")
    add_member(session, "bob@example.com", status="lapsed")

    assert membership.active_count(session) == 1
    assert proofs.pending_count(session) == 0


def test_the_leaderboard_choice_is_saved_for_the_member(session):
    ann = add_member(session, "ann@example.com")

    accounts.set_show_on_leaderboard(session, ann, True)
    session.commit()
    session.expire_all()

    assert session.get(type(ann), ann.id).show_on_leaderboard is True

"""Scoped roles: a platform admin makes a member the moderator of one program; the member may run
that program's raffles and nothing else; grants and revocations are audited."""

from __future__ import annotations

import pytest
from sqlmodel import select

from luckyclub.club import ledger, raffles
from luckyclub.core import routes
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import AuditLog, Program, Role, ScopedRole, utcnow
from luckyclub.pages.admin.roles import RolesState
from luckyclub.platform import accounts, programs, roles
from tests.db.factories import add_member, add_user
from tests.db.reflex_state import finish, state_for_tab


@pytest.fixture()
def two_programs(session):
    """The club's program and a streamer's community, each with a draft raffle for next month."""
    admin = add_user(session, "boss@example.com", Role.ADMIN)
    community = Program(slug="ann-streams", name="Ann's community")
    session.add(community)
    session.commit()
    month = raffles.next_month(raffles.month_of(utcnow()))
    theirs = raffles.create(
        session,
        admin,
        month=month,
        title="Ann's raffle",
        prize="A headset",
        program_id=community.id,
    )
    club = raffles.create(session, admin, month=month, title="Club raffle", prize="A bike")
    session.commit()
    return admin, community, theirs, club


def test_a_moderator_runs_their_programs_raffles_and_not_another_programs(session, two_programs):
    admin, community, theirs, club = two_programs
    mod = add_user(session, "mod@example.com")
    viewer = add_member(session, "viewer@example.com")
    roles.grant(session, admin, mod.id, ScopedRole.MODERATOR, community.id)
    session.commit()

    raffles.update(session, mod, theirs.id, title="Ann's big raffle")
    raffles.open_raffle(session, mod, theirs.id)
    ledger.grant(
        session, mod, raffle_id=theirs.id, user_id=viewer.id, amount=5, reason="Raid bonus"
    )
    session.commit()
    assert theirs.title == "Ann's big raffle" and ledger.balance(session, theirs.id, viewer.id) >= 5

    for attempt in (
        lambda: raffles.update(session, mod, club.id, title="Taken over"),
        lambda: raffles.open_raffle(session, mod, club.id),
        lambda: raffles.create(session, mod, month="2099-01", title="Mine", prize="Everything"),
        lambda: ledger.grant(
            session, mod, raffle_id=club.id, user_id=viewer.id, amount=5, reason="Sneaky"
        ),
        lambda: roles.grant(session, mod, mod.id, ScopedRole.MODERATOR, programs.club_id(session)),
    ):
        with pytest.raises(NotAllowed):
            attempt()
        session.rollback()
    assert club.title == "Club raffle"


def test_revoking_takes_the_rights_away_and_both_are_audited(session, two_programs):
    admin, community, theirs, _ = two_programs
    mod = add_user(session, "mod@example.com")
    grant = roles.grant(session, admin, mod.id, ScopedRole.MODERATOR, community.id)
    again = roles.grant(session, admin, mod.id, ScopedRole.MODERATOR, community.id)
    session.commit()
    assert again.id == grant.id
    assert [g.words for g in roles.grants_of(session, mod.id)] == ["Moderator of Ann's community"]

    roles.revoke(session, admin, grant.id)
    session.commit()
    with pytest.raises(NotAllowed):
        raffles.update(session, mod, theirs.id, title="Still mine?")
    actions = session.exec(
        select(AuditLog.action, AuditLog.detail).where(AuditLog.action.like("role.%"))
    ).all()
    assert actions == [
        ("role.grant", "Moderator of program Ann's community"),
        ("role.revoke", "Moderator of program Ann's community"),
    ]


def test_a_banned_moderator_has_no_rights_and_grants_need_a_real_program(session, two_programs):
    admin, community, theirs, _ = two_programs
    mod = add_user(session, "mod@example.com")
    roles.grant(session, admin, mod.id, ScopedRole.MODERATOR, community.id)
    mod.banned_at = utcnow()
    session.commit()
    with pytest.raises(NotAllowed):
        raffles.update(session, mod, theirs.id, title="Banned edit")
    with pytest.raises(UserError, match="There is no program #999"):
        roles.grant(session, admin, mod.id, ScopedRole.MODERATOR, 999)
    with pytest.raises(UserError, match="Choose a role"):
        roles.grant(session, admin, mod.id, "owner", community.id)


def test_an_admin_grants_and_revokes_a_moderator_on_the_roles_page(session, two_programs):
    admin, community, _, _ = two_programs
    add_user(session, "mod@example.com")
    token, _ = accounts.start_session(session, admin)
    session.commit()
    page = state_for_tab(RolesState, session_token=token, path=routes.ADMIN_ROLES)
    finish(RolesState.load, page)
    assert [p.name for p in page.programs] == ["LuckyClub members' club", "Ann's community"]

    finish(
        RolesState.grant, page, {"member_email": "mod@example.com", "program_id": str(community.id)}
    )
    assert page.error == "" and [r.words for r in page.grants] == ["Moderator of Ann's community"]
    finish(RolesState.grant, page, {"member_email": "nobody@example.com", "program_id": "1"})
    assert page.error == "No member has that email address."

    finish(RolesState.revoke, page, page.grants[0].id)
    assert page.notice == "Role revoked." and page.grants == []

"""`python -m luckyclub …`: admin accounts and demo data from the command line."""

from __future__ import annotations

from sqlmodel import select

from luckyclub import cli
from luckyclub.competitions import catalogue
from luckyclub.core import security
from luckyclub.lotteries import lists
from luckyclub.models import OutboxMessage, Role, User


def test_create_admin_takes_the_password_from_the_environment_and_can_sign_in(
    app_db, session, monkeypatch, capsys
):
    monkeypatch.setenv(cli.ADMIN_PASSWORD_ENV, "a long admin passphrase")

    assert cli.main(["create-admin", "--email", "Boss@Example.com"]) == 0

    assert "Created admin: boss@example.com" in capsys.readouterr().out
    admin = session.exec(select(User).where(User.email == "boss@example.com")).one()
    assert admin.role == Role.ADMIN
    assert security.verify_password("a long admin passphrase", admin.password_hash)


def test_create_admin_promotes_an_existing_member_without_touching_the_password(
    app_db, session, monkeypatch, capsys
):
    monkeypatch.setenv(cli.ADMIN_PASSWORD_ENV, "first passphrase here")
    cli.main(["create-admin", "--email", "sam@example.com"])
    session.exec(select(User)).one().role = Role.MEMBER
    session.commit()
    monkeypatch.setenv(cli.ADMIN_PASSWORD_ENV, "ignored passphrase")

    assert cli.main(["create-admin", "--email", "sam@example.com"]) == 0

    assert "Promoted to admin" in capsys.readouterr().out
    session.expire_all()
    sam = session.exec(select(User)).one()
    assert sam.role == Role.ADMIN
    assert security.verify_password("first passphrase here", sam.password_hash)


def test_create_admin_without_a_password_source_explains_what_to_do(app_db, monkeypatch, capsys):
    monkeypatch.delenv(cli.ADMIN_PASSWORD_ENV, raising=False)

    assert cli.main(["create-admin", "--email", "new@example.com"]) == 2

    assert cli.ADMIN_PASSWORD_ENV in capsys.readouterr().err


def test_seed_demo_loads_two_accounts_once_and_prints_their_passwords(
    app_db, session, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("LUCKYCLUB_DATA_DIR", str(tmp_path))
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["seed-demo"]) == 0
        first = capsys.readouterr().out
        assert cli.main(["seed-demo"]) == 0
        second = capsys.readouterr().out
    finally:
        cli.get_settings.cache_clear()

    users = {u.email: u for u in session.exec(select(User)).all()}
    assert set(users) == {cli.DEMO_ADMIN, cli.DEMO_MEMBER}
    assert users[cli.DEMO_ADMIN].role == Role.ADMIN
    password = first.split(cli.DEMO_MEMBER)[1].split("password:")[1].split()[0]
    assert security.verify_password(password, users[cli.DEMO_MEMBER].password_hash)
    assert "already loaded" in second and password in second
    shown = catalogue.list_public(session)
    assert len(shown) == len(cli.DEMO_COMPETITIONS) and shown[0].featured
    assert all(catalogue.images_of(c) for c in shown)
    assert users[cli.DEMO_MEMBER].email_verified_at is not None
    mailed = session.exec(select(OutboxMessage.template, OutboxMessage.to_address)).all()
    assert ("verify_email", cli.DEMO_MEMBER) not in mailed  # verified already: nothing to confirm
    demo_lists = lists.visible_lists(session, users[cli.DEMO_MEMBER])
    assert sorted((row.title, row.is_lottery) for row in demo_lists) == [
        ("Summer fair bake sale", False),
        ("Swimming lessons: spring term", True),
    ]


def test_ledger_rebuild_cache_recomputes_balances_from_the_rows(app_db, session, capsys):
    from luckyclub.club import ledger
    from luckyclub.models import EntryBalance
    from tests.db.factories import add_open_raffle, add_user

    raffle = add_open_raffle(session)
    member = add_user(session, "ann@example.com")
    ledger.credit(
        session, raffle_id=raffle.id, user_id=member.id, source="bonus", amount=4, key="k"
    )
    session.commit()
    session.get(EntryBalance, (raffle.id, member.id)).held = 0
    session.commit()

    assert cli.main(["ledger", "rebuild-cache"]) == 0

    assert "Rebuilt 1 cached balances" in capsys.readouterr().out
    session.expire_all()
    assert ledger.balance(session, raffle.id, member.id) == 4

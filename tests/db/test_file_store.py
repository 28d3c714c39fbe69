"""Stored files follow their rows: a file written for a transaction that rolls back is deleted, and
a file replaced in a transaction is deleted only once that transaction commits."""

from __future__ import annotations

from sqlmodel import Session

from luckyclub.models import User
from luckyclub.platform import file_store


def test_a_file_stored_for_a_rolled_back_transaction_is_deleted(app_db, tmp_path):
    with Session(app_db) as s:
        s.get(User, 1)  # the transaction has begun
        name = file_store.store_for(s, tmp_path, b"png?", ".png")
        assert (tmp_path / name).exists()
        s.rollback()
    assert not (tmp_path / name).exists()


def test_a_file_stored_for_a_committed_transaction_is_kept_even_if_a_savepoint_rolls_back(
    app_db, tmp_path
):
    with Session(app_db) as s:
        name = file_store.store_for(s, tmp_path, b"png?", ".png")
        nested = s.begin_nested()
        nested.rollback()
        s.commit()
        later = file_store.store_for(s, tmp_path, b"png?", ".png")
        s.rollback()  # a later transaction's rollback leaves the committed file alone
    assert (tmp_path / name).exists() and not (tmp_path / later).exists()


def test_a_replaced_file_is_deleted_only_when_the_change_commits(app_db, tmp_path):
    kept = file_store.store(tmp_path, b"old", ".png")
    with Session(app_db) as s:
        file_store.discard_after_commit(s, tmp_path, kept)
        s.rollback()
        assert (tmp_path / kept).exists()
        file_store.discard_after_commit(s, tmp_path, kept)
        s.commit()
    assert not (tmp_path / kept).exists()


def test_copying_a_file_gone_from_the_disk_gives_none(app_db, tmp_path):
    with Session(app_db) as s:
        assert file_store.copy_for(s, tmp_path, "0" * 32 + ".png") is None

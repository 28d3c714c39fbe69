"""What every table module shares: UTC timestamps, predictable constraint names, enum CHECKs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Row) -> int:
    """The primary key of a row known to be in the database. A table's `id` is `int | None` only
    because a new row has none until its INSERT is flushed; asking for it before then is a bug."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it was never flushed")
    return row.id


def timestamp_field(*, nullable: bool = False, index: bool = False):
    return Field(
        default=None,
        sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index),
    )


def created_at_field():
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


# Every constraint gets a predictable name, so migrations can refer to it on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: Iterable[str]) -> sa.CheckConstraint:
    """A CHECK keeping a column to an enum's values, named ck_<table>_<column>: a typo in a status
    written by hand, or a value from code of another version, is refused by the database."""
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=column)


def table_of(model: type[SQLModel]) -> sa.Table:
    """A table model's Core table, for statements built once with parameters (an ORM statement
    run with parameters would be a bulk one)."""
    table = sa.inspect(model).local_table
    assert isinstance(table, sa.Table)  # a table model maps exactly one table
    return table

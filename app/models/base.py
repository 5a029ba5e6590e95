"""The declarative base and the column types every Strongroom table shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import VARBINARY, DateTime, Dialect, Integer, LargeBinary, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite and MariaDB DATETIME keep no offset); returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Strongroom stores only timezone-aware datetimes.")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# Explicit lengths throughout: MariaDB needs them for VARCHAR and for indexed columns.
intpk = Annotated[int, mapped_column(Integer, primary_key=True, autoincrement=True)]
utc_timestamp = Annotated[datetime, mapped_column(UTCDateTime())]
username_str = Annotated[str, mapped_column(String(32))]
label_str = Annotated[str, mapped_column(String(64))]


def short_binary(length: int) -> LargeBinary:
    """Up to ``length`` bytes: BLOB on SQLite, VARBINARY (stored in the row) on MariaDB."""
    return LargeBinary(length).with_variant(VARBINARY(length), "mysql", "mariadb")


class MediumBlob(TypeDecorator[bytes]):
    """MariaDB's MEDIUMBLOB (up to 16 MiB). The MySQL dialect's types are imported when a
    MariaDB engine asks for them: on SQLite, importing that dialect would only add to the
    database stack's import, which a remembered launch waits for."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[bytes]:
        from sqlalchemy.dialects.mysql import MEDIUMBLOB

        return dialect.type_descriptor(MEDIUMBLOB())


def sealed_binary() -> LargeBinary:
    """An encrypted vault field: up to 16 MiB on MariaDB (MEDIUMBLOB), BLOB on SQLite."""
    return LargeBinary().with_variant(MediumBlob(), "mysql", "mariadb")


wrapped_key = Annotated[bytes, mapped_column(short_binary(255))]
sealed_field = Annotated[bytes, mapped_column(sealed_binary())]
optional_sealed_field = Annotated[bytes | None, mapped_column(sealed_binary(), nullable=True)]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

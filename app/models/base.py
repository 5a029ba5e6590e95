"""The declarative base and the column types every Strongroom table shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, TypeVar

from sqlalchemy import (
    VARBINARY,
    DateTime,
    Dialect,
    Integer,
    LargeBinary,
    MetaData,
    String,
    event,
    inspect,
)
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


M = TypeVar("M", bound=type[Base])

# What a loaded value may be, by the type its column declares (bytes: whichever the driver hands).
_ACCEPTED: dict[type, tuple[type, ...]] = {bytes: (bytes, bytearray, memoryview)}


def stored_types_checked(model: M) -> M:
    """A class decorator: a row of ``model`` loads only if each value is of the type its column
    declares, or NULL (TypeError if not, which the services report as the database changed
    outside Strongroom: SQLite keeps whatever a raw write puts in any column, and a number
    where a name belongs would otherwise be shown, or a blob fail deep inside a check).

    For the account's row and its sessions, a few rows read at a time: the vault's items are
    checked by their integrity tags instead."""
    table = inspect(model).local_table  # (its columns are named as the model's attributes)
    name = table.description
    columns: list[tuple[str, tuple[type, ...]]] = []

    def check(target: object, *_: object) -> None:
        if not columns:  # at the first load: a foreign key's type is known once it resolves
            for column in table.columns:
                kind = column.type.python_type
                columns.append((column.key, _ACCEPTED.get(kind, (kind,))))
        values = target.__dict__
        for key, accepted in columns:
            value = values.get(key)
            if value is not None and not isinstance(value, accepted):
                raise TypeError(f"{name}.{key} holds a value of a type Strongroom never writes")

    event.listen(model, "load", check)
    event.listen(model, "refresh", check)
    return model

"""A master password's key material: derived, checked, and written into its users row.

The slow work (Argon2id, bcrypt) happens here, never inside an open transaction. See
:mod:`app.core.crypto` for the key hierarchy itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from app.core import crypto, secret_key
from app.core.config import SecuritySettings
from app.core.errors import AccountDataError, LoginFailed
from app.core.passwords import normalize_password
from app.models import User
from app.services.transactions import run_in_transaction


@dataclass(frozen=True)
class NewCredentials:
    """What a master password puts in its users row (registration and password change)."""

    params: crypto.KdfParams
    salt: bytes
    verifier: str
    wrapping_key: bytes = field(repr=False)
    secret_key_id: str | None = None  # the public id of the Secret Key mixed in, if any

    def apply(self, user: User) -> None:
        user.verifier = self.verifier
        user.kdf_algorithm = self.params.algorithm
        user.kdf_memory_kib = self.params.memory_kib
        user.kdf_iterations = self.params.iterations
        user.kdf_parallelism = self.params.parallelism
        user.kdf_salt = self.salt
        user.secret_key_id = self.secret_key_id
        user.vault_key_algorithm = crypto.AES_GCM
        user.key_format_version = crypto.KEY_FORMAT_VERSION
        user.vault_key_wrapped = b""  # until wrap(): the user's id is part of the wrapping

    def wrap(self, user: User, vault_key: bytes) -> None:
        user.vault_key_wrapped = crypto.wrap_key(
            self.wrapping_key, vault_key, crypto.account_key_aad(user.id)
        )
        user.vault_key_check = crypto.key_check(vault_key)


class Credentials:
    """Master-password work for one configured cost."""

    def __init__(self, sessions: sessionmaker[Session], security: SecuritySettings) -> None:
        self._sessions = sessions
        self._security = security
        self._dummy_salt = crypto.new_salt()
        self._dummy_verifier = crypto.dummy_verifier(security.bcrypt_cost)

    def _kdf_params(self) -> crypto.KdfParams:
        return crypto.KdfParams(
            crypto.ARGON2ID,
            self._security.argon2_memory_kib,
            self._security.argon2_iterations,
            self._security.argon2_parallelism,
        )

    def derive(self, password: str, key: bytes | None = None) -> NewCredentials:
        """The slow part of setting a master password (and Secret Key ``key``, if any), done
        before any transaction opens."""
        params = self._kdf_params()
        salt = crypto.new_salt()
        keys = crypto.derive_keys(normalize_password(password), salt, params)
        return self._new(params, salt, keys, key)

    def _new(
        self, params: crypto.KdfParams, salt: bytes, keys: crypto.DerivedKeys, key: bytes | None
    ) -> NewCredentials:
        key_id = None
        if key is not None:
            keys, key_id = secret_key.combine(keys, key), secret_key.key_id(key)
        verifier = crypto.make_verifier(keys.authentication_key, self._security.bcrypt_cost)
        return NewCredentials(params, salt, verifier, keys.wrapping_key, key_id)

    def spend_equal_work(self, password: str) -> None:
        """Cost an unknown username the same Argon2id and bcrypt work as a wrong password."""
        keys = crypto.derive_keys(password, self._dummy_salt, self._kdf_params())
        crypto.check_verifier(keys.authentication_key, self._dummy_verifier)

    def check(self, user: User, password: str, key: bytes | None = None) -> crypto.DerivedKeys:
        """The keys from ``password`` (normalised) and the account's Secret Key ``key`` (None
        for an account without one), or LoginFailed; AccountDataError when the stored
        parameters or verifier cannot be trusted."""
        params = crypto.KdfParams(
            user.kdf_algorithm, user.kdf_memory_kib, user.kdf_iterations, user.kdf_parallelism
        )
        try:
            params.check_floors()
            crypto.check_salt(user.kdf_salt)
        except crypto.CryptoError as error:
            raise AccountDataError(
                f"This account's stored key settings were refused: {error} "
                "The database may have been tampered with."
            ) from None
        if not crypto.verifier_is_acceptable(user.verifier):
            raise AccountDataError(
                "This account's stored password verifier is damaged, or its cost is outside "
                "what is allowed. The database may have been tampered with."
            )
        keys = crypto.derive_keys(password, user.kdf_salt, params)
        if key is not None:
            keys = secret_key.combine(keys, key)
        if not crypto.check_verifier(keys.authentication_key, user.verifier):
            raise LoginFailed
        return keys

    def open_vault_key(self, user: User, keys: crypto.DerivedKeys) -> bytes:
        if user.key_format_version != crypto.KEY_FORMAT_VERSION:
            raise AccountDataError(
                f"This account's vault key uses format {user.key_format_version}, which this "
                "version of Strongroom cannot read. Please upgrade Strongroom."
            )
        try:
            return crypto.unwrap_key(
                keys.wrapping_key, user.vault_key_wrapped, crypto.account_key_aad(user.id)
            )
        except crypto.CryptoError:
            raise AccountDataError(
                "This account's vault key is damaged and cannot be opened."
            ) from None

    def bring_up_to_date(self, user: User, keys: crypto.DerivedKeys, vault_key: bytes) -> None:
        """After a successful login: a verifier below today's bcrypt cost is replaced, and an
        account made before key checks (or its row's MAC) existed gets them."""
        from app.services.account_integrity import seal_account

        authentication_key = keys.authentication_key
        weak = crypto.verifier_cost(user.verifier) < self._security.bcrypt_cost
        if not weak and user.vault_key_check is not None and user.account_mac is not None:
            return
        cost = self._security.bcrypt_cost
        verifier = crypto.make_verifier(authentication_key, cost) if weak else None

        def work(db: Session) -> None:
            row = db.get_one(User, user.id)
            if verifier is not None:
                row.verifier = verifier
            if row.vault_key_check is None:
                row.vault_key_check = crypto.key_check(vault_key)
            seal_account(row, keys.wrapping_key)

        run_in_transaction(self._sessions, work)

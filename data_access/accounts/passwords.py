"""Secrets: passwords kept as argon2id hashes (argon2-cffi, the library's RFC 9106 defaults), the
login cookie token and the one-time hand-over code only as SHA-256 digests. Nothing here logs a
password, a token or a hash.
"""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from data_access.accounts.config import AuthSettings
from data_access.errors import DataAccessError

_hasher = PasswordHasher()  # argon2id; tests swap in cheaper parameters (tests/conftest.py)
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    """The argon2id hash stored for `password`."""
    return _hasher.hash(password)


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with other parameters than today's (rehash at sign-in)."""
    return _hasher.check_needs_rehash(stored)


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password; an account without a hash costs the same time (no user enumeration)."""
    global _dummy_hash
    if not stored:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_hex(16))
        stored, password = _dummy_hash, password + "\0"
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def digest(token: str) -> str:
    """What we store for a cookie token or hand-over code: its SHA-256 (they are 256-bit random)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A 256-bit random token (URL-safe text)."""
    return secrets.token_urlsafe(32)


def generate_password() -> str:
    """An initial password for a new or reset account (shown once; must be changed at first login):
    12 characters without look-alikes, at least one digit and one letter."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def check_password_policy(password: str, username: str, settings: AuthSettings | None = None) -> None:
    """Refuse a password shorter than `min_password_length` (8), containing the user name, or with
    fewer than two of: letters, digits, symbols."""
    s = settings or AuthSettings()
    if len(password) < s.min_password_length:
        raise DataAccessError(f"密码至少需要 {s.min_password_length} 个字符",
                              f"The password needs at least {s.min_password_length} characters")
    if password.lower() == username.lower() or username.lower() in password.lower():
        raise DataAccessError("密码不能包含用户名", "The password must not contain the user name")
    kinds = sum((any(c.isalpha() for c in password), any(c.isdigit() for c in password),
                 any(not c.isalnum() for c in password)))
    if kinds < 2:
        raise DataAccessError("密码需包含字母、数字、符号中的至少两类",
                              "The password needs at least two of: letters, digits, symbols")

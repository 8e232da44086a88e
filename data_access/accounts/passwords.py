"""Secrets: passwords kept as argon2id hashes (argon2-cffi, the library's RFC 9106 defaults), the
login cookie token and the one-time hand-over code only as SHA-256 digests. Nothing here logs a
password, a token or a hash.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache
from pathlib import Path

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


_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})
_TAIL = re.compile(r"[\d\W_]+$")  # digits and symbols appended to a word: password2023!
_HEAD = re.compile(r"^[\d\W_]+")
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (common_passwords.txt), lower-case."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.lstrip().startswith("#"))


def _is_run(text: str) -> bool:
    """One character repeated, or a stretch of a digit, alphabet or keyboard row, either way."""
    if len(set(text)) <= 1:
        return True
    return any(text in row or text in row[::-1] for row in _RUNS)


def is_common(password: str, username: str = "") -> bool:
    """Whether `password` is a well-known one, or one built on the user name (see the list's header)."""
    low = password.strip().lower()
    name = username.strip().lower()
    common = common_passwords()
    candidates = {low, low.translate(_LEET)}
    for c in list(candidates):
        core = _HEAD.sub("", _TAIL.sub("", c))  # 'admin@2024' -> 'admin', '2024admin' -> 'admin'
        if len(core) >= 3:
            candidates.add(core)
    if any(c in common or _is_run(c) for c in candidates):
        return True
    # Built on the user name (backwards, in leetspeak); names of one or two characters ('lu') only
    # as they are (check_password_policy), or too many passwords would be refused.
    return len(name) >= 3 and any(name in c or name[::-1] in c for c in candidates)


def check_password_policy(password: str, username: str, settings: AuthSettings | None = None) -> None:
    """Refuse a password shorter than `min_password_length` (8), containing the user name (also
    backwards), a common one (`is_common`: the bundled list, with digits or symbols appended, in
    leetspeak, runs), or with fewer than two of: letters, digits, symbols."""
    s = settings or AuthSettings()
    if len(password) < s.min_password_length:
        raise DataAccessError(f"密码至少需要 {s.min_password_length} 个字符",
                              f"The password needs at least {s.min_password_length} characters")
    name, low = username.strip().lower(), password.lower()
    if name and (name in low or (len(name) >= 3 and (name[::-1] in low or name in low.translate(_LEET)))):
        raise DataAccessError("密码不能包含用户名", "The password must not contain the user name")
    if is_common(password, username):
        raise DataAccessError("密码过于常见，容易被猜中，请换一个不常见的密码",
                              "This password is too common and easy to guess; choose a less common one")
    kinds = sum((any(c.isalpha() for c in password), any(c.isdigit() for c in password),
                 any(not c.isalnum() for c in password)))
    if kinds < 2:
        raise DataAccessError("密码需包含字母、数字、符号中的至少两类",
                              "The password needs at least two of: letters, digits, symbols")

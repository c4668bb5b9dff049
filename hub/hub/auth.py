"""Users, roles and password checks.

Users live in .meltano/hub/users.json (not in meltano.yml), each with an argon2id hash from
argon2-cffi and a role: `admin` may change things, `read-only` may only look.
`hub users add NAME --role ROLE` adds or replaces one, reading the password from stdin.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.sessions import end_user
from hub.state import hub_dir, read_json, write_json

ROLES = ("admin", "read-only")
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a
    wrong password and response times do not tell which names exist."""
    return _hasher.hash("not a real password")


class UserError(ValueError):
    """A bad user name, role or password: the message is one line."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    epoch: str = ""  # changes with the password: sessions signed in before it are void

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def users_file(root: Path) -> Path:
    return hub_dir(root) / "users.json"


def add_user(root: Path, name: str, role: str, password: str) -> User:
    """Add the user, or replace their role and password."""
    if not _NAME.match(name):
        raise UserError(
            f"'{name}' is not a valid user name: use letters, digits and . _ @ - (up to 64)."
        )
    if role not in ROLES:
        raise UserError(f"'{role}' is not a role: use admin or read-only.")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    users = read_json(users_file(root))
    epoch = secrets.token_hex(8)
    users[name] = {"role": role, "password_hash": _hasher.hash(password), "epoch": epoch}
    write_json(users_file(root), users)
    end_user(root, name)  # a new password ends the sessions signed in with the old one
    return User(name, role, epoch)


def get_user(root: Path, name: str) -> User | None:
    entry = read_json(users_file(root)).get(name)
    if not isinstance(entry, dict) or entry.get("role") not in ROLES:
        return None
    return User(name, str(entry["role"]), str(entry.get("epoch", "")))


def authenticate(root: Path, name: str, password: str) -> User | None:
    """The user if the password matches, else None (same work either way)."""
    entry = read_json(users_file(root)).get(name)
    stored = entry.get("password_hash") if isinstance(entry, dict) else None
    try:
        _hasher.verify(str(stored or _dummy_hash()), password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is None or not isinstance(entry, dict):
        return None
    if _hasher.check_needs_rehash(str(stored)):  # parameters were raised since: upgrade
        users = read_json(users_file(root))
        users[name] = {**entry, "password_hash": _hasher.hash(password)}
        write_json(users_file(root), users)
    return get_user(root, name)

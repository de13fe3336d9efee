"""Logins for `referat serve`: a users file of names, argon2id password hashes and groups, and the rights the
groups give.

The file is JSON, written atomically (a temporary file in the same folder, fsynced, renamed over) and readable
by its owner only (0600). It never holds a password, only its argon2id hash (argon2-cffi's `PasswordHasher`,
rehashed at the next login when the hasher's parameters grow). Rights come from groups:

| group    | right                                                        |
|----------|--------------------------------------------------------------|
| `lukket` | reads closed agenda items ("Lukket punkt", "Lukket:" titles) |
| `admin`  | manages documents: uploads and removes them in the app       |

A user in neither group reads the open items only. The two rights are separate: a secretary who uploads the
minutes need not read what was decided behind closed doors.

>>> users = Users().with_user("anne", "hemmelig kode", groups=("lukket",))
>>> users.verify("anne", "hemmelig kode").rights
Rights(closed=True, documents=False)
>>> users.verify("anne", "forkert") is None
True
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ingest.errors import ConfigError

DEFAULT_USERS_FILE = Path("data/users.json")
CLOSED_GROUP = "lukket"
DOCUMENTS_GROUP = "admin"
MIN_PASSWORD_CHARS = 8
FAILED_LOGIN_S = 1.0  # a wrong password is answered after this long
FORMAT = 1

_NAME = re.compile(r"^[\w.@-]{1,64}$")
_GROUP = re.compile(r"^[\w-]{1,32}$")
_HASHER = PasswordHasher()  # argon2id with argon2-cffi's current RFC 9106 low-memory parameters
# Verified against for an unknown name, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("referat: no such user")


@dataclass(frozen=True)
class Rights:
    """What a user may do beyond reading the open items.

    >>> Rights.of(("lukket", "admin"))
    Rights(closed=True, documents=True)
    """

    closed: bool = False  # read closed agenda items
    documents: bool = False  # upload and remove documents

    @classmethod
    def of(cls, groups: Iterable[str]) -> Rights:
        """The rights `groups` give (see the module's table)."""
        names = set(groups)
        return cls(closed=CLOSED_GROUP in names, documents=DOCUMENTS_GROUP in names)


FULL = Rights(closed=True, documents=True)  # local use without a users file: the machine's own user


@dataclass(frozen=True)
class User:
    """One login: its name, groups and argon2id hash (never shown)."""

    name: str
    groups: tuple[str, ...] = ()
    password_hash: str = field(default="", repr=False)

    @property
    def rights(self) -> Rights:
        return Rights.of(self.groups)


@dataclass(frozen=True)
class Users:
    """The users of one users file, by name. Changes return a new `Users`; `save` writes them.

    Usage: `Users.load(path).with_user("anne", password, groups=("lukket",)).save(path)`.
    """

    by_name: Mapping[str, User] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", MappingProxyType(dict(self.by_name)))

    def __len__(self) -> int:
        return len(self.by_name)

    def __iter__(self) -> Iterator[User]:
        return iter(sorted(self.by_name.values(), key=lambda u: u.name.casefold()))

    def get(self, name: str) -> User | None:
        return self.by_name.get(name)

    def with_user(self, name: str, password: str, *, groups: Iterable[str] = (), replace: bool = False) -> Users:
        """These users and `name` with `password` (hashed here) in `groups`. Raises `ConfigError` for a bad
        name, group or password, or when `name` exists and not `replace`."""
        check_name(name)
        chosen = tuple(dict.fromkeys(groups))
        for group in chosen:
            if not _GROUP.match(group):
                raise ConfigError(f"a group is letters, digits, '_' and '-', at most 32, got {group!r}")
        if len(password) < MIN_PASSWORD_CHARS:
            raise ConfigError(f"the password must have at least {MIN_PASSWORD_CHARS} characters, got {len(password)}")
        if name in self.by_name and not replace:
            raise ConfigError(
                f"user {name!r} exists: remove it first (`referat users remove {name}`) or pass --replace"
            )
        return Users({**self.by_name, name: User(name, chosen, _HASHER.hash(password))})

    def without(self, name: str) -> Users:
        """These users less `name`. Raises `ConfigError` when there is no such user."""
        if name not in self.by_name:
            raise ConfigError(f"no user {name!r}; `referat users list` shows who there is")
        return Users({k: v for k, v in self.by_name.items() if k != name})

    def verify(self, name: str, password: str) -> User | None:
        """The user `name` when `password` is theirs, else None (an unknown name costs the same time)."""
        user = self.by_name.get(name)
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user

    def needs_rehash(self, name: str) -> bool:
        """Whether `name`'s hash was made with weaker parameters than the hasher's current ones."""
        user = self.by_name.get(name)
        return user is not None and _HASHER.check_needs_rehash(user.password_hash)

    def rehashed(self, name: str, password: str) -> Users:
        """These users with `name`'s verified `password` hashed again with the current parameters."""
        user = self.by_name[name]
        return Users({**self.by_name, name: User(name, user.groups, _HASHER.hash(password))})

    @classmethod
    def load(cls, path: Path) -> Users:
        """The users in the file at `path`. Raises `ConfigError` when it is missing or not a users file."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"no users file at {path}: create it with `referat users add NAME --users {path}`"
            ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"cannot read the users file {path}: {e}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("users"), dict):
            raise ConfigError(f'{path} is not a users file: expected {{"format": {FORMAT}, "users": {{...}}}}')
        users = {}
        for name, entry in raw["users"].items():
            if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
                raise ConfigError(f"{path}: user {name!r} has no password hash")
            groups = entry.get("groups", [])
            if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
                raise ConfigError(f"{path}: the groups of {name!r} must be a list of names, got {groups!r}")
            users[name] = User(name, tuple(groups), entry["hash"])
        return cls(users)

    def save(self, path: Path) -> Path:
        """Write these users to `path` atomically, readable by the owner only (0600)."""
        body = {
            "format": FORMAT,
            "users": {u.name: {"groups": list(u.groups), "hash": u.password_hash} for u in self},
        }
        write_private(path, json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return path


def check_name(name: str) -> str:
    """`name` when it can be a login name: 1-64 letters, digits and `. _ @ -`. Raises `ConfigError`."""
    if not _NAME.match(name):
        raise ConfigError(f"a user name is 1-64 letters, digits and '._@-', got {name!r}")
    return name


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically with mode 0600: a temporary file beside it, fsynced, renamed over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Logins:
    """The users file as the server reads it: read again when it changes on disk (`referat users add` while
    the app runs), so a removed user loses their rights at their next request.

    Usage: `logins = Logins(path); logins.check("anne", password)`; `logins.login` is Gradio's `auth=`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users = Users()
        self._verifying = asyncio.Semaphore(2)
        self.users()  # a missing or broken file is an error now, not at the first login

    def users(self) -> Users:
        """The users as the file holds them now."""
        with self._lock:
            st = self.path.stat() if self.path.exists() else None
            stamp = (st.st_mtime_ns, st.st_size) if st else None
            if stamp is None:
                raise ConfigError(f"no users file at {self.path}: create it with `referat users add NAME`")
            if stamp != self._stamp:
                self._users, self._stamp = Users.load(self.path), stamp
            return self._users

    def check(self, name: str, password: str) -> bool:
        """Whether `password` is `name`'s (Gradio's login); rehashes and saves when the hasher's parameters grew."""
        users = self.users()
        if users.verify(name, password) is None:
            return False
        if users.needs_rehash(name):
            with self._lock:  # read again: a change made since must not be lost
                Users.load(self.path).rehashed(name, password).save(self.path)
        return True

    async def login(self, name: str, password: str) -> bool:
        """`check` for Gradio's `auth=`: off the event loop (a hash costs 64 MiB and tens of milliseconds),
        two at a time, and a wrong password answered after `FAILED_LOGIN_S`, which slows guessing."""
        async with self._verifying:
            ok = await asyncio.to_thread(self.check, name, password)
        if not ok:
            await asyncio.sleep(FAILED_LOGIN_S)
        return ok

    def rights(self, name: str | None) -> Rights | None:
        """The rights of the logged-in `name`; None when there is no such user (any longer)."""
        user = self.users().get(name) if name else None
        return user.rights if user else None

"""Logins: the users file (argon2id hashes, groups -> rights, atomic private writes), `referat users`, the
serve command's refusal to listen beyond this machine without logins, and the app serving each user by
their rights (in process; the served app over HTTP is tests/ui/test_security.py)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from ingest.errors import ConfigError
from rag.assistant import Assistant
from rag.embed import HashEmbedder
from ui import app as ui
from ui import cli
from ui.users import FULL, Logins, Rights, User, Users, write_private

runner = CliRunner()
PASSWORD = "korrekt hest batteri"


def _run(args: list[str], **kw: Any) -> Any:
    return runner.invoke(cli.app, args, env={"REFERAT_USERS": ""}, **kw)


def test_a_password_is_kept_as_an_argon2id_hash_and_only_it_opens_the_login(tmp_path: Path) -> None:
    path = Users().with_user("anne", PASSWORD, groups=("lukket",)).save(tmp_path / "users.json")
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text and '"$argon2id$' in text
    users = Users.load(path)
    anne = users.verify("anne", PASSWORD)
    assert anne is not None and anne.rights == Rights(closed=True, documents=False)
    assert users.verify("anne", "korrekt hest") is None
    assert users.verify("anne", "") is None
    assert users.verify("ukendt", PASSWORD) is None
    assert "argon2" not in repr(anne)  # the hash is never shown


def test_rights_come_from_the_groups() -> None:
    assert Rights.of(()) == Rights(closed=False, documents=False)
    assert Rights.of(("lukket",)) == Rights(closed=True, documents=False)
    assert Rights.of(("admin",)) == Rights(closed=False, documents=True)
    assert Rights.of(("admin", "lukket", "økonomi")) == FULL


def test_users_and_their_records_are_frozen() -> None:
    users = Users().with_user("anne", PASSWORD)
    user = users.get("anne")
    assert user is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.groups = ("lukket",)  # type: ignore[misc]
    with pytest.raises(TypeError):
        users.by_name["bo"] = user  # type: ignore[index]
    assert users.without("anne").get("anne") is None and users.get("anne") is not None


@pytest.mark.parametrize(
    ("name", "password", "groups", "wanted"),
    [
        ("anne hansen", PASSWORD, (), "'anne hansen'"),
        ("../anne", PASSWORD, (), "'../anne'"),
        ("", PASSWORD, (), "''"),
        ("anne", "kort", (), "at least 8 characters, got 4"),
        ("anne", PASSWORD, ("lukket punkter",), "'lukket punkter'"),
    ],
)
def test_bad_names_groups_and_passwords_are_refused_naming_the_value(
    name: str, password: str, groups: tuple[str, ...], wanted: str
) -> None:
    with pytest.raises(ConfigError, match=wanted):
        Users().with_user(name, password, groups=groups)


def test_a_user_is_not_replaced_unless_asked() -> None:
    users = Users().with_user("anne", PASSWORD)
    with pytest.raises(ConfigError, match="--replace"):
        users.with_user("anne", "en anden kode")
    again = users.with_user("anne", "en anden kode", groups=("admin",), replace=True)
    assert again.verify("anne", "en anden kode") is not None and again.verify("anne", PASSWORD) is None


def test_the_file_is_written_atomically_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "users.json"
    path.write_text("{}", encoding="utf-8")
    os.chmod(path, 0o644)
    old_umask = os.umask(0)
    try:
        Users().with_user("anne", PASSWORD).save(path)
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["users.json"]  # no temporary file left

    def broken(*_a: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_private(path, "nothing")
    assert Users.load(path).get("anne") is not None  # the old file whole
    assert [p.name for p in tmp_path.iterdir()] == ["users.json"]


def test_a_broken_users_file_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="referat users add"):
        Users.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"users": {"anne": {"groups": []}}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="no password hash"):
        Users.load(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a users file"):
        Users.load(tmp_path / "list.json")


def test_a_hash_made_with_weaker_parameters_is_renewed_at_login(tmp_path: Path) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    path = Users({"anne": User("anne", ("lukket",), weak)}).save(tmp_path / "users.json")
    logins = Logins(path)
    assert logins.users().needs_rehash("anne")
    assert not logins.check("anne", "forkert kode") and Users.load(path).get("anne").password_hash == weak  # type: ignore[union-attr]
    assert logins.check("anne", PASSWORD)
    renewed = Users.load(path)
    assert renewed.get("anne").password_hash != weak and not renewed.needs_rehash("anne")  # type: ignore[union-attr]
    assert renewed.get("anne").groups == ("lukket",) and logins.check("anne", PASSWORD)  # type: ignore[union-attr]


def test_logins_follow_the_file_so_a_removed_user_loses_their_rights(tmp_path: Path) -> None:
    path = Users().with_user("anne", PASSWORD, groups=("admin",)).save(tmp_path / "users.json")
    logins = Logins(path)
    assert logins.rights("anne") == Rights(documents=True)
    Users.load(path).without("anne").with_user("bo", PASSWORD).save(path)
    assert logins.rights("anne") is None and logins.rights("bo") == Rights()
    assert not logins.check("anne", PASSWORD) and logins.check("bo", PASSWORD)
    assert logins.rights(None) is None


# ---------------------------------------------------------------------------------------------------------
# referat users


def test_users_add_list_and_remove_from_the_command_line(tmp_path: Path) -> None:
    path = str(tmp_path / "users.json")
    added = _run(
        ["users", "add", "anne", "--group", "lukket", "--password-stdin", "--users", path], input=f"{PASSWORD}\n"
    )
    assert added.exit_code == 0, added.output
    added = _run(["users", "add", "bo", "--group", "admin", "--password-stdin", "--users", path], input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert Users.load(Path(path)).verify("anne", PASSWORD) is not None  # the newline is not part of it

    listed = _run(["users", "list", "--users", path])
    assert listed.exit_code == 0 and "anne" in listed.stdout and "lukket" in listed.stdout
    assert "argon2" not in listed.stdout and PASSWORD not in listed.stdout
    rows = [json.loads(line) for line in _run(["users", "list", "--json", "--users", path]).stdout.splitlines()]
    assert rows == [
        {"name": "anne", "groups": ["lukket"], "closed": True, "documents": False},
        {"name": "bo", "groups": ["admin"], "closed": False, "documents": True},
    ]

    twice = _run(["users", "add", "anne", "--password-stdin", "--users", path], input=f"{PASSWORD}\n")
    assert twice.exit_code == 1 and "--replace" in twice.output
    removed = _run(["users", "remove", "anne", "--users", path])
    assert removed.exit_code == 0 and [u.name for u in Users.load(Path(path))] == ["bo"]
    gone = _run(["users", "remove", "anne", "--users", path])
    assert gone.exit_code == 1 and "no user 'anne'" in gone.output


def test_users_add_asks_for_the_password_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    path = tmp_path / "users.json"
    typed = iter([PASSWORD, "noget andet", PASSWORD, PASSWORD])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    differ = _run(["users", "add", "anne", "--users", str(path)])
    assert differ.exit_code == 1 and "differ" in differ.output and not path.exists()
    same = _run(["users", "add", "anne", "--users", str(path)])
    assert same.exit_code == 0 and Users.load(path).verify("anne", PASSWORD) is not None
    short = _run(["users", "add", "bo", "--password-stdin", "--users", str(path)], input="kort\n")
    assert short.exit_code == 1 and "at least 8" in short.output


def test_users_file_comes_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "hold" / "users.json"
    env = {"REFERAT_USERS": str(path)}
    added = runner.invoke(cli.app, ["users", "add", "anne", "--password-stdin"], input=f"{PASSWORD}\n", env=env)
    assert added.exit_code == 0 and Users.load(path).get("anne") is not None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("192.168.1.5", False),
     ("::", False), ("referat.kommune.dk", False)],
)  # fmt: skip
def test_serve_without_logins_listens_on_this_machine_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, loopback: bool
) -> None:
    monkeypatch.setenv("REFERAT_EMBEDDER", "hash-64")
    monkeypatch.setenv("REFERAT_LLM", "scripted")
    monkeypatch.delenv("REFERAT_USERS", raising=False)
    monkeypatch.chdir(tmp_path)  # no data/users.json
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(ui, "launch", lambda assistant, **kw: seen.append(kw))
    result = runner.invoke(cli.app, ["serve", "--index", str(tmp_path / "index"), "--host", host])
    if loopback:
        assert result.exit_code == 0 and seen[0]["logins"] is None and seen[0]["question_log"] is None
    else:
        assert result.exit_code == 1 and seen == []
        assert "without logins" in " ".join(result.output.split())


def test_serve_with_a_named_users_file_requires_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERAT_EMBEDDER", "hash-64")
    monkeypatch.setenv("REFERAT_LLM", "scripted")
    monkeypatch.chdir(tmp_path)
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(ui, "launch", lambda assistant, **kw: seen.append(kw))
    missing = runner.invoke(cli.app, ["serve", "--users", str(tmp_path / "none.json")])
    assert missing.exit_code == 1 and "no users file" in missing.output and seen == []
    # the default data/users.json turns logins on when it exists; the question log when named
    Users().with_user("anne", PASSWORD).save(tmp_path / "data" / "users.json")
    monkeypatch.setenv("REFERAT_QUESTION_LOG", str(tmp_path / "q.jsonl"))
    ok = runner.invoke(cli.app, ["serve", "--host", "0.0.0.0"])
    assert ok.exit_code == 0, ok.output
    assert isinstance(seen[0]["logins"], Logins) and seen[0]["question_log"].path == tmp_path / "q.jsonl"


# ---------------------------------------------------------------------------------------------------------
# The app, per user


MINUTES = """Referat af møde i Byrådet, Tarmvig Kommune, den 14. marts 2023

Punkt 1. Cykelsti langs Strandvejen

Beslutning
Byrådet godkendte cykelstien langs Strandvejen.

Punkt 2. Lukket punkt: Køb af Tangegården

Beslutning
Byrådet godkendte købet af Tangegården for 7,1 mio. kr.
"""


@pytest.fixture
def served_app(tmp_path: Path) -> tuple[gr.Blocks, Path]:
    (tmp_path / "marts.txt").write_text(MINUTES, encoding="utf-8")
    assistant = Assistant(tmp_path / "index", HashEmbedder(64))
    assistant.ingest([tmp_path / "marts.txt"])
    users = Users().with_user("lis", PASSWORD).with_user("leder", PASSWORD, groups=("lukket", "admin"))
    path = users.save(tmp_path / "users.json")
    return ui.build_app(assistant, logins=Logins(path)), path


def _fn(demo: gr.Blocks, name: str) -> Any:
    return next(f.fn for f in demo.fns.values() if f.name == name)


def test_each_user_gets_the_register_and_the_controls_of_their_rights(served_app: tuple[gr.Blocks, Path]) -> None:
    demo, path = served_app
    on_load = _fn(demo, "on_load")
    register: tuple[Any, ...] = ([], "", "", ui.ALL, False)
    for name, titles, manage in (("lis", ["Cykelsti langs Strandvejen"], False), ("leder", None, True)):
        _bodies, docs, _choice, table, _state, who, upload_box, remove_box = on_load(
            *register, request=SimpleNamespace(username=name)
        )
        shown = [row[3] for row in table]
        assert shown == titles if titles else "Lukket punkt: Køb af Tangegården" in shown
        assert docs[0][4] == ("1" if titles else "2")  # items counted as the user may see them
        assert f"**{name}**" in who and upload_box["visible"] is manage and remove_box["visible"] is manage

    with pytest.raises(gr.Error, match="ikke ret til at indlæse"):
        _fn(demo, "on_remove")("marts", *register, request=SimpleNamespace(username="lis"))
    with pytest.raises(gr.Error, match="ikke logget ind"):
        on_load(*register, request=SimpleNamespace(username=None))
    Users.load(path).without("leder").save(path)  # removed while logged in: refused at the next request
    with pytest.raises(gr.Error, match="ikke logget ind"):
        _fn(demo, "on_decisions")(*register, request=SimpleNamespace(username="leder"))


def test_the_apps_login_is_slowed_after_a_wrong_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import time

    import ui.users

    monkeypatch.setattr(ui.users, "FAILED_LOGIN_S", 0.3)
    logins = Logins(Users().with_user("anne", PASSWORD).save(tmp_path / "users.json"))

    def timed(password: str) -> tuple[bool, float]:
        t0 = time.perf_counter()
        ok = asyncio.run(logins.login("anne", password))
        return ok, time.perf_counter() - t0

    right, wrong = timed(PASSWORD), timed("forkert kode")
    assert right[0] is True and wrong[0] is False
    assert wrong[1] >= 0.3  # on top of the hash's own time

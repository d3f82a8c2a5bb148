"""The account store: users and passwords, memberships, API keys, sessions and failed logins, on a real
SQLite file in a tmp home."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from api.accounts.models import Role
from api.accounts.store import AccountStore, open_account_store
from api.testing import PASSWORD, api_settings
from core.errors import Conflict, InvalidInput, NotFound, SchemaError
from core.models import utcnow
from core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[AccountStore]:
    with open_account_store(settings) as opened:
        yield opened


def _raw(store: AccountStore, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(store.path) as conn:
        return conn.execute(sql, params).fetchall()


# --- users ---------------------------------------------------------------------------------------
def test_a_user_is_stored_in_the_accounts_file_with_an_argon2id_hash(
    settings: Settings, store: AccountStore
) -> None:
    user = store.add_user("ana.li", PASSWORD, display_name="Ana Li", email="ana@example.com", language="zh")
    assert store.path == settings.accounts_path == settings.home / "accounts.db"
    assert (user.username, user.display_name, user.email, user.language) == (
        "ana.li",
        "Ana Li",
        "ana@example.com",
        "zh",
    )
    assert store.get_user("ana.li") == user
    assert store.get_user("nobody") is None
    ((stored,),) = _raw(store, "SELECT password_hash FROM users")
    assert str(stored).startswith("$argon2id$")
    assert PASSWORD not in str(stored)


def test_a_display_name_defaults_to_the_user_name(store: AccountStore) -> None:
    assert store.add_user("bo", PASSWORD).display_name == "bo"


@pytest.mark.parametrize("name", ["", "Ana", "ana li", "ana@x", "a" * 65, "ana/..", "名字"])
def test_user_names_are_checked(store: AccountStore, name: str) -> None:
    with pytest.raises(InvalidInput, match="user name"):
        store.add_user(name, PASSWORD)
    assert store.list_users() == []


def test_a_user_name_is_taken_once(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    with pytest.raises(Conflict) as caught:
        store.add_user("ana", "another password")
    assert caught.value.http_status == 409
    assert [u.username for u in store.list_users()] == ["ana"]


def test_short_passwords_and_unknown_languages_are_refused(store: AccountStore) -> None:
    with pytest.raises(InvalidInput, match="password"):
        store.add_user("ana", "short")
    with pytest.raises(InvalidInput, match="language"):
        store.add_user("ana", PASSWORD, language="fr")
    assert store.get_user("ana") is None


def test_verify_password(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    user = store.verify_password("ana", PASSWORD)
    assert user is not None
    assert user.username == "ana"
    assert store.verify_password("ana", PASSWORD + "!") is None
    assert store.verify_password("nobody", PASSWORD) is None
    assert store.verify_password("NOT A NAME", PASSWORD) is None
    assert store.verify_password("ana", "x" * 5000) is None


def test_an_unknown_name_costs_an_argon2_check_too(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    assert store.verify_password("nobody", PASSWORD) is None
    # the dummy hash the unknown name was checked against, made with the store's own parameters
    dummy = store._dummy_hash
    assert dummy is not None
    assert dummy.startswith("$argon2id$v=19$m=1024,t=1,")


def test_a_hash_with_old_parameters_is_redone_at_login(settings: Settings, store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    ((before,),) = _raw(store, "SELECT password_hash FROM users")
    stronger = AccountStore(settings.accounts_path, hasher=PasswordHasher(time_cost=2, memory_cost=2048))
    try:
        assert stronger.verify_password("ana", PASSWORD) is not None
    finally:
        stronger.close()
    ((after,),) = _raw(store, "SELECT password_hash FROM users")
    assert "m=1024,t=1," in str(before)
    assert "m=2048,t=2," in str(after)
    assert store.verify_password("ana", PASSWORD) is not None  # the new hash checks with any parameters


def test_set_password_ends_sessions_and_only_the_new_one_works(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    session_id, _ = store.create_session("ana", 3600)
    store.set_password("ana", "a brand new secret")
    assert store.verify_password("ana", PASSWORD) is None
    assert store.verify_password("ana", "a brand new secret") is not None
    assert store.get_session(session_id) is None
    with pytest.raises(NotFound):
        store.set_password("nobody", "a brand new secret")


def test_a_disabled_user_cannot_log_in_and_their_sessions_end(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    session_id, _ = store.create_session("ana", 3600)
    assert store.set_disabled("ana", True).disabled
    assert store.verify_password("ana", PASSWORD) is None
    assert store.get_session(session_id) is None
    assert not store.set_disabled("ana", False).disabled
    assert store.verify_password("ana", PASSWORD) is not None
    assert store.get_session(session_id) is None  # enabling does not bring an ended session back


def test_update_user(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    user = store.update_user("ana", display_name="Ana Li", language="zh", email="a@example.com")
    assert (user.display_name, user.language, user.email) == ("Ana Li", "zh", "a@example.com")
    with pytest.raises(NotFound):
        store.update_user("nobody", language="en")


# --- memberships ---------------------------------------------------------------------------------
def test_memberships_and_members(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    store.add_user("bo", PASSWORD)
    store.grant("ana", "default", Role.ADMIN)
    store.grant("ana", "acme", "viewer")
    store.grant("bo", "acme", Role.AGENT)
    assert [(m.workspace, m.role) for m in store.memberships("ana")] == [
        ("acme", Role.VIEWER),
        ("default", Role.ADMIN),
    ]
    assert [(m.username, m.role) for m in store.members("acme")] == [("ana", Role.VIEWER), ("bo", Role.AGENT)]
    assert [u.username for u in store.list_users("acme")] == ["ana", "bo"]
    assert [u.username for u in store.list_users("default")] == ["ana"]
    store.grant("ana", "acme", Role.ANALYST)  # a second grant changes the role
    assert store.memberships("ana")[0].role is Role.ANALYST
    store.revoke("ana", "acme")
    assert [m.workspace for m in store.memberships("ana")] == ["default"]
    with pytest.raises(NotFound):
        store.revoke("ana", "acme")


def test_grants_are_checked(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    with pytest.raises(NotFound):
        store.grant("nobody", "default", Role.ADMIN)
    with pytest.raises(InvalidInput, match="workspace"):
        store.grant("ana", "Not/A Workspace", Role.ADMIN)
    with pytest.raises(ValueError, match="owner"):
        store.grant("ana", "default", "owner")
    assert store.memberships("ana") == []


def test_has_admin_counts_enabled_admins_only(store: AccountStore) -> None:
    assert not store.has_admin()
    store.add_user("ana", PASSWORD)
    store.grant("ana", "default", Role.ANALYST)
    assert not store.has_admin()
    store.grant("ana", "acme", Role.ADMIN)
    assert store.has_admin()
    store.set_disabled("ana", True)
    assert not store.has_admin()


# --- API keys ------------------------------------------------------------------------------------
def test_an_api_key_is_shown_once_and_stored_as_its_hash(store: AccountStore) -> None:
    created = store.create_key("BI export", "acme", Role.VIEWER, created_by="ana")
    secret = created.secret
    assert secret.startswith("ek_")
    assert len(secret) == 3 + 43  # 32 random bytes, url-safe base64 without padding
    key = created.key
    assert (key.name, key.workspace, key.role, key.created_by) == ("BI export", "acme", Role.VIEWER, "ana")
    assert key.prefix == secret[:10]
    assert key.active
    stored = _raw(store, "SELECT * FROM api_keys")
    assert secret not in repr(stored)
    assert hashlib.sha256(secret.encode()).hexdigest() in repr(stored)
    assert "secret" not in store.list_keys()[0].model_dump()


def test_verify_key(store: AccountStore) -> None:
    secret = store.create_key("bot", "default", Role.AGENT).secret
    key = store.verify_key(secret)
    assert key is not None
    assert key.role is Role.AGENT
    assert key.last_used_at is not None
    assert store.verify_key(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.verify_key("not a key") is None
    assert store.verify_key("ek_" + "x" * 500) is None


def test_last_used_is_written_at_most_once_a_minute(store: AccountStore) -> None:
    created = store.create_key("bot", "default", Role.AGENT)
    first = store.verify_key(created.secret)
    second = store.verify_key(created.secret)
    assert first is not None
    assert second is not None
    assert second.last_used_at == first.last_used_at
    # a minute later (the stored time moved back), the next use is noted
    long_ago = (utcnow() - timedelta(minutes=2)).timestamp()
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE api_keys SET last_used_at = ?", (long_ago,))
    third = store.verify_key(created.secret)
    assert third is not None
    assert third.last_used_at is not None
    assert third.last_used_at.timestamp() > long_ago + 60


def test_a_revoked_key_is_refused_and_listed_only_on_request(store: AccountStore) -> None:
    kept = store.create_key("kept", "default", Role.VIEWER)
    gone = store.create_key("gone", "acme", Role.ADMIN)
    revoked = store.revoke_key(gone.key.id)
    assert revoked.revoked_at is not None
    assert not revoked.active
    assert store.verify_key(gone.secret) is None
    assert store.verify_key(kept.secret) is not None
    assert [k.name for k in store.list_keys()] == ["kept"]
    assert {k.name for k in store.list_keys(include_revoked=True)} == {"kept", "gone"}
    assert store.list_keys("acme") == []
    assert store.revoke_key(gone.key.id).revoked_at == revoked.revoked_at  # revoking again changes nothing
    with pytest.raises(NotFound):
        store.revoke_key("no-such-key")


def test_keys_are_checked(store: AccountStore) -> None:
    with pytest.raises(InvalidInput):
        store.create_key("  ", "default", Role.VIEWER)
    with pytest.raises(InvalidInput, match="workspace"):
        store.create_key("bot", "Bad Workspace", Role.VIEWER)
    assert store.list_keys(include_revoked=True) == []


# --- sessions ------------------------------------------------------------------------------------
def test_a_session_is_stored_as_the_hash_of_its_id(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    session_id, csrf = store.create_session("ana", 3600)
    assert session_id != csrf
    row = store.get_session(session_id)
    assert row is not None
    assert (row.username, row.csrf_token) == ("ana", csrf)
    assert 3599 <= (row.expires_at - row.created_at).total_seconds() <= 3601
    assert session_id not in repr(_raw(store, "SELECT * FROM sessions"))
    assert store.get_session("forged") is None
    assert store.get_session("") is None
    with pytest.raises(NotFound):
        store.create_session("nobody", 3600)


def test_an_expired_session_is_gone_and_pruned(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    old, _ = store.create_session("ana", 3600)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE sessions SET expires_at = ?", (utcnow().timestamp() - 1,))
    assert store.get_session(old) is None
    new, _ = store.create_session("ana", 3600)
    assert store.get_session(new) is not None
    assert len(_raw(store, "SELECT * FROM sessions")) == 1  # the expired one was pruned


def test_ending_sessions(store: AccountStore) -> None:
    store.add_user("ana", PASSWORD)
    one, _ = store.create_session("ana", 3600)
    two, _ = store.create_session("ana", 3600)
    store.end_session(one)
    assert store.get_session(one) is None
    assert store.get_session(two) is not None
    assert store.end_sessions("ana") == 1
    assert store.get_session(two) is None


# --- failed logins -------------------------------------------------------------------------------
def test_failures_are_counted_per_name_and_per_address(store: AccountStore) -> None:
    now = utcnow()
    store.record_failure("ana", "10.0.0.1", now - timedelta(minutes=20))
    store.record_failure("ana", "10.0.0.1", now - timedelta(minutes=5))
    store.record_failure("bo", "10.0.0.1", now - timedelta(minutes=1))
    store.record_failure("ana", "10.0.0.2", now)
    since = now - timedelta(minutes=15)
    assert store.failures(username="ana", since=since) == 2
    assert store.failures(address="10.0.0.1", since=since) == 2
    assert store.failures(address="10.0.0.1", since=now - timedelta(hours=1)) == 3
    assert store.oldest_failure(username="ana", since=since) == now - timedelta(minutes=5)
    assert store.oldest_failure(username="zed", since=since) is None
    store.clear_failures("ana")
    assert store.failures(username="ana", since=since) == 0
    assert store.failures(address="10.0.0.1", since=since) == 1  # bo's stays
    with pytest.raises(InvalidInput):
        store.failures(since=since)


def test_old_failures_are_pruned_after_the_retention(settings: Settings) -> None:
    with AccountStore(settings.accounts_path, failure_retention=3600) as store:
        now = utcnow()
        store.record_failure("ana", None, now - timedelta(hours=2))
        store.record_failure("ana", None, now)
        assert len(_raw(store, "SELECT * FROM login_failures")) == 1
        assert store.failures(username="ana", since=now - timedelta(days=1)) == 1


# --- the file ------------------------------------------------------------------------------------
def test_the_file_is_wal_and_survives_reopening(settings: Settings) -> None:
    with open_account_store(settings) as store:
        store.add_user("ana", PASSWORD)
        store.grant("ana", "default", Role.ADMIN)
        secret = store.create_key("bot", "default", Role.VIEWER).secret
    with open_account_store(settings) as again:
        assert again.verify_password("ana", PASSWORD) is not None
        assert again.verify_key(secret) is not None
        assert _raw(again, "PRAGMA journal_mode") == [("wal",)]


def test_a_newer_file_is_refused(settings: Settings) -> None:
    with open_account_store(settings) as store:
        store.ensure_ready()
    with sqlite3.connect(settings.accounts_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with open_account_store(settings) as store, pytest.raises(SchemaError, match="upgrade"):
        store.list_users()


def test_threads_share_one_store(store: AccountStore) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            store.add_user(f"user{n}", PASSWORD)
            store.grant(f"user{n}", "default", Role.VIEWER)
            session_id, _ = store.create_session(f"user{n}", 60)
            assert store.get_session(session_id) is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.members("default")) == 8

"""Browser sessions and sign-in links (parley.team.sessions) against moto: made from an API token or a link,
refused once ended or expired, a link used once only (also when two use it at once), the role read each time."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from parley.shared import clock
from parley.shared.errors import NotFound, Unauthenticated
from parley.store import SessionRecord, TokenRecord
from parley.team import members, sessions, tokens


@pytest.fixture
def manual(aws: str) -> Iterator[clock.ManualClock]:
    held = clock.ManualClock(clock.now().replace(microsecond=0))
    previous = clock.get_clock()
    clock.set_clock(held)
    yield held
    clock.set_clock(previous)


@pytest.fixture
def admin(manual: clock.ManualClock) -> tokens.IssuedToken:
    return tokens.create_workspace("Acme", "Ada")


def test_a_token_signs_in_and_the_session_knows_the_member_and_role(admin: tokens.IssuedToken) -> None:
    started = sessions.sign_in_with_token(f"  {admin.token}\n")  # pasted with blanks around it

    session = sessions.current(started.secret)
    assert session.principal == members.Principal(admin.workspace_id, admin.member_id, members.Role.ADMIN)
    assert session.member_name == "Ada" and len(session.csrf) >= 40
    assert sessions.csrf_matches(session, session.csrf)
    assert not sessions.csrf_matches(session, "") and not sessions.csrf_matches(session, session.csrf[:-1] + "x")


@pytest.mark.parametrize("token", ["pk_wrong", ""])
def test_an_unknown_token_signs_nobody_in(admin: tokens.IssuedToken, token: str) -> None:
    with pytest.raises(Unauthenticated):
        sessions.sign_in_with_token(token)


def test_the_cookie_value_is_stored_only_as_its_hash_never_in_the_api_tokens_indexes(
    admin: tokens.IssuedToken,
) -> None:
    started = sessions.sign_in_with_token(admin.token)

    mine = SessionRecord.scan(SessionRecord.session_workspace_id == admin.workspace_id)
    keys = [r.token_hash for r in mine if r.token_hash.startswith("web-session#")]
    assert len(keys) == 1 and started.secret not in keys[0]
    assert [t.token_id for t in TokenRecord.by_member.query(admin.member_id)] == [admin.token_id]


def test_signing_out_ends_the_session_at_once_and_twice_is_harmless(admin: tokens.IssuedToken) -> None:
    started = sessions.sign_in_with_token(admin.token)
    sessions.sign_out(started.secret)
    sessions.sign_out(started.secret)
    sessions.sign_out("never-was")

    with pytest.raises(Unauthenticated):
        sessions.current(started.secret)


def test_a_session_expires_after_its_hours_however_used(admin: tokens.IssuedToken, manual: clock.ManualClock) -> None:
    started = sessions.sign_in_with_token(admin.token)
    manual.advance(sessions.SESSION_HOURS * 3600 - 1)
    sessions.current(started.secret)
    manual.advance(1)

    with pytest.raises(Unauthenticated):
        sessions.current(started.secret)


@pytest.mark.parametrize("secret", [None, "", "x" * 43])
def test_no_or_an_unknown_cookie_is_not_a_session(admin: tokens.IssuedToken, secret: str | None) -> None:
    with pytest.raises(Unauthenticated):
        sessions.current(secret)


def test_the_members_role_now_decides_and_a_removed_member_is_signed_out(admin: tokens.IssuedToken) -> None:
    editor = tokens.add_member(admin.workspace_id, "Ed", members.Role.EDITOR)
    started = sessions.sign_in_with_token(editor.token)
    boss = members.Principal(admin.workspace_id, admin.member_id, members.Role.ADMIN)

    members.change_member(boss, editor.member_id, name=None, role=members.Role.VIEWER)
    assert sessions.current(started.secret).principal.role == members.Role.VIEWER
    tokens.remove(boss, editor.member_id)
    with pytest.raises(Unauthenticated):
        sessions.current(started.secret)


def test_a_sign_in_link_works_once(admin: tokens.IssuedToken) -> None:
    link = sessions.issue_link(admin.workspace_id, admin.member_id)
    assert link.url.endswith(f"{sessions.LINK_PATH}?code={link.code}")

    started = sessions.sign_in_with_link(link.code)
    assert sessions.current(started.secret).principal.member_id == admin.member_id
    with pytest.raises(Unauthenticated):
        sessions.sign_in_with_link(link.code)


def test_a_sign_in_link_expires(admin: tokens.IssuedToken, manual: clock.ManualClock) -> None:
    link = sessions.issue_link(admin.workspace_id, admin.member_id)
    manual.advance(sessions.LINK_MINUTES * 60)

    with pytest.raises(Unauthenticated):
        sessions.sign_in_with_link(link.code)


def test_a_link_used_by_two_browsers_at_once_makes_one_session(admin: tokens.IssuedToken) -> None:
    link = sessions.issue_link(admin.workspace_id, admin.member_id)

    def use(_: int) -> str:
        try:
            return sessions.sign_in_with_link(link.code).secret
        except Unauthenticated:
            return ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        secrets = [s for s in pool.map(use, range(4)) if s]
    assert len(secrets) == 1


def test_neither_a_session_nor_a_link_is_the_other_or_an_api_token(admin: tokens.IssuedToken) -> None:
    link = sessions.issue_link(admin.workspace_id, admin.member_id)
    started = sessions.sign_in_with_token(admin.token)

    with pytest.raises(Unauthenticated):
        sessions.current(link.code)
    with pytest.raises(Unauthenticated):
        sessions.sign_in_with_link(started.secret)
    with pytest.raises(Unauthenticated):
        tokens.authenticate(f"Bearer {started.secret}")


def test_a_link_for_an_unknown_member_is_refused(admin: tokens.IssuedToken) -> None:
    with pytest.raises(NotFound):
        sessions.issue_link(admin.workspace_id, "mem_nobody")


def test_a_session_lasts_its_hours_from_sign_in(admin: tokens.IssuedToken, manual: clock.ManualClock) -> None:
    started = sessions.sign_in_with_token(admin.token)
    assert started.session.expires_at == manual.now() + timedelta(hours=sessions.SESSION_HOURS)


def test_the_cli_prints_a_login_link_for_a_member_found_by_id(admin: tokens.IssuedToken) -> None:
    from click.testing import CliRunner

    from parley.cli import main

    printed = CliRunner().invoke(
        main, ["admin", "login-link", "--member", admin.member_id, "--url", "https://parley.example/"]
    )
    assert printed.exit_code == 0, printed.output
    link = printed.stdout.strip()
    assert link.startswith("https://parley.example/app/sign-in/link?code=")
    started = sessions.sign_in_with_link(link.split("code=", 1)[1])
    assert started.session.principal.member_id == admin.member_id

    unknown = CliRunner().invoke(main, ["admin", "login-link", "--member", "mem_nobody"])
    assert unknown.exit_code != 0 and "no member mem_nobody" in unknown.output

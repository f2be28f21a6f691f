"""The cookie that binds a pending connection to the browser that started it (parley.http.connect_cookie):
Secure everywhere but plain http on loopback (a local run), scoped to the network's callback path."""

from __future__ import annotations

import pytest

from parley.http import connect_cookie


@pytest.mark.parametrize(
    ("callback", "secure"),
    [
        ("https://api.example.com/channels/x/callback", True),
        ("https://abc.execute-api.eu-west-1.amazonaws.com/v1/channels/x/callback", True),
        ("http://127.0.0.1:8080/channels/x/callback", False),
        ("http://127.0.0.2/channels/x/callback", False),
        ("http://localhost:8080/channels/x/callback", False),
        ("http://[::1]:8080/channels/x/callback", False),
        ("http://parley.example.com/channels/x/callback", True),  # plain http elsewhere: never sent back
        ("http://10.0.0.5/channels/x/callback", True),
        ("http://127.0.0.1.example.com/channels/x/callback", True),
    ],
)
def test_secure_unless_plain_http_on_loopback(callback: str, secure: bool) -> None:
    cookie = str(connect_cookie.binding(callback, "s3cret", 600))

    assert ("; Secure" in cookie) is secure


def test_it_is_scoped_to_the_callback_path_http_only_lax_and_lives_as_long_as_the_state() -> None:
    cookie = str(connect_cookie.binding("https://abc.example.com/v1/channels/linkedin/callback", "s3cret", 600))

    assert cookie == (
        f"{connect_cookie.NAME}=s3cret; Path=/v1/channels/linkedin/callback; Max-Age=600; HttpOnly; Secure;"
        " SameSite=Lax"
    )


def test_clearing_it_sets_the_same_cookie_empty_and_expired() -> None:
    cookie = str(connect_cookie.cleared("http://127.0.0.1:8080/channels/x/callback"))

    assert cookie == f"{connect_cookie.NAME}=; Path=/channels/x/callback; Max-Age=0; HttpOnly; SameSite=Lax"

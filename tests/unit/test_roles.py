"""Roles: each can do what the ones before it can; a refusal names the role needed and the caller's."""

from __future__ import annotations

import pytest

from parley.shared.errors import Forbidden
from parley.team.members import Principal, Role


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {Role.VIEWER}),
        (Role.CONTRIBUTOR, {Role.VIEWER, Role.CONTRIBUTOR}),
        (Role.EDITOR, {Role.VIEWER, Role.CONTRIBUTOR, Role.EDITOR}),
        (Role.ADMIN, set(Role)),
    ],
)
def test_a_role_allows_its_own_and_the_lesser_ones(role: Role, allowed: set[Role]) -> None:
    caller = Principal("ws_1", "mem_1", role)
    for needed in Role:
        if needed in allowed:
            caller.require(needed)
        else:
            with pytest.raises(Forbidden) as refused:
                caller.require(needed)
            assert refused.value.extra == {"needed_role": needed.value, "role": role.value}
            assert f"needs the {needed} role" in str(refused.value)


def test_the_refusal_reads_as_english() -> None:
    with pytest.raises(Forbidden, match="member is a viewer"):
        Principal("ws_1", "mem_1", Role.VIEWER).require(Role.ADMIN)
    with pytest.raises(Forbidden, match="is an editor"):
        Principal("ws_1", "mem_1", Role.EDITOR).require(Role.ADMIN)

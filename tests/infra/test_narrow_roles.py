"""Issue 15 item 12: the roles are as narrow as the code that runs under them. The API role acts on the tokens
table only as parley.team.tokens does; no role writes parley's apps (OAuth client secrets, set only by
`parley admin set-app` with the operator's own credentials); the redirect function only updates items of the
links table. And the other way round: every parameter the core names is still reachable by the functions
that read or write it (a pattern narrowed too far would break them only on AWS: the local runtime does not
enforce IAM)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.parley_cdk.functions import TABLE_ACCESS, Access
from parley.connect import apps, credentials, providers, x_app
from parley.shared import names
from parley.team import members
from parley.webhooks import endpoints
from tests.infra.conftest import STACK_NAME
from tests.infra.test_stack import (
    as_list,
    function_ids,
    resources,
    role_of_policy,
    statements,
    table_ids,
)

PREFIX = names.PARAMETER_PREFIX
PARAMETER_ARN = "arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter"
SSM_WRITES = {"ssm:PutParameter", "ssm:DeleteParameter"}


def render(value: Any) -> str:
    """A resource of the template as one string: pseudo parameters as `<AWS::Region>`, a table's ARN as
    `<logical id.Arn>`."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        resource, attribute = value["Fn::GetAtt"]
        return f"<{resource}.{attribute}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    raise AssertionError(f"unexpected resource {value}")


def matches(pattern: str, arn: str) -> bool:
    """IAM's resource matching: `*` any run of characters (slashes too), `?` any one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn) is not None


def role_statements(template: Template, function: names.Function) -> list[dict[str, Any]]:
    fn_id = function_ids(template)[function]
    role_id = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    found = [s for policy_id, s in statements(template) if role_of_policy(template, policy_id) == role_id]
    for statement in found:
        assert statement["Effect"] == "Allow" and "Resource" in statement, statement  # no NotResource, no Deny
    return found


def actions_by_resource(found: list[dict[str, Any]], service: str) -> dict[str, set[str]]:
    """Each resource a role's statements name, with every action of `service` it is granted there."""
    granted: dict[str, set[str]] = {}
    for statement in found:
        actions = {a for a in as_list(statement["Action"]) if a.startswith(f"{service}:")}
        if actions:
            for resource in as_list(statement["Resource"]):
                granted.setdefault(render(resource), set()).update(actions)
    return granted


def allowed(template: Template, function: names.Function, action: str, parameter: str) -> bool:
    arn = PARAMETER_ARN + parameter
    return any(
        matches(resource, arn) and action in actions
        for resource, actions in actions_by_resource(role_statements(template, function), "ssm").items()
    )


def app_parameters() -> list[str]:
    """Every app parameter the core reads, and one of a network parley does not know yet."""
    return [
        x_app.app_parameter(PREFIX),
        *(apps.app_parameter(PREFIX, network) for network in providers.PROVIDERS),
        apps.app_parameter(PREFIX, "a-network-to-come/with/depth"),
    ]


@pytest.fixture(scope="module")
def workspace_id(monkeypatch_module: pytest.MonkeyPatch) -> str:
    """A workspace id as parley makes one (without storing it)."""
    monkeypatch_module.setattr(members.WorkspaceRecord, "save", lambda self, **kwargs: None)
    return members.create_workspace_record("Acme")


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# The tokens table


def test_the_api_role_acts_on_the_tokens_table_exactly_as_parley_team_tokens_does(template: Template) -> None:
    tokens = table_ids(template)[names.Table.TOKENS]
    granted = actions_by_resource(role_statements(template, names.Function.API), "dynamodb")

    on_tokens = {resource: actions for resource, actions in granted.items() if tokens in resource}
    assert on_tokens == {
        # authenticate: GetItem by hash, UpdateItem of last_used_at; issue_token: PutItem; revoke: UpdateItem
        f"<{tokens}.Arn>": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        # list_tokens, remove (by_member); revoke, revoke_token, _by_id (by_token_id)
        f"<{tokens}.Arn>/index/by_token_id": {"dynamodb:Query"},
        f"<{tokens}.Arn>/index/by_member": {"dynamodb:Query"},
    }


# Parameters


def test_no_role_may_write_or_delete_parleys_apps(template: Template) -> None:
    written = [
        (render(resource), statement)
        for _, statement in statements(template)
        if SSM_WRITES & set(as_list(statement["Action"]))
        for resource in as_list(statement.get("Resource", "*"))
    ]

    assert written
    for parameter in app_parameters():
        arn = PARAMETER_ARN + parameter
        for resource, statement in written:
            assert not matches(resource, arn), (parameter, statement)


def test_the_api_writes_parameters_only_under_the_channel_and_webhook_secret_paths(template: Template) -> None:
    granted = actions_by_resource(role_statements(template, names.Function.API), "ssm")

    written = {resource for resource, actions in granted.items() if actions & SSM_WRITES}
    assert written == {
        f"{PARAMETER_ARN}{PREFIX}/workspaces/*/channels/*",
        f"{PARAMETER_ARN}{PREFIX}/workspaces/*/webhooks/*",
        f"{PARAMETER_ARN}{names.cursor_key_parameter(STACK_NAME)}",  # made on first use (parley.shared.pagination)
    }
    for resource, actions in granted.items():
        assert actions <= {"ssm:GetParameter", *SSM_WRITES}, resource


def test_the_api_reads_parleys_apps_to_connect_accounts(template: Template) -> None:
    for parameter in app_parameters():
        assert allowed(template, names.Function.API, "ssm:GetParameter", parameter), parameter


def test_every_parameter_the_core_names_is_reachable_by_its_functions(template: Template, workspace_id: str) -> None:
    credential = credentials.credential_parameter(PREFIX, workspace_id, "ch_01abc")
    session = credentials.session_parameter(credential)
    secret = endpoints.secret_parameter(PREFIX, workspace_id, "wh_01abc")
    app = apps.app_parameter(PREFIX, "linkedin")
    channel_users = (names.Function.PUBLISH, names.Function.RECONCILER, names.Function.POLL, names.Function.TOKENS)
    needed = [
        *(
            (names.Function.API, action, parameter)
            for action in ("Get", "Put", "Delete")
            for parameter in (credential, session)
        ),
        (names.Function.API, "Put", secret),
        (names.Function.API, "Delete", secret),
        (names.Function.WEBHOOKS, "Get", secret),
        *(
            (fn, action, parameter)
            for fn in channel_users
            for action in ("Get", "Put")
            for parameter in (credential, session)
        ),
        *((fn, "Get", app) for fn in channel_users),
    ]

    missing = [
        (fn.value, action, parameter)
        for fn, action, parameter in needed
        if not allowed(template, fn, f"ssm:{action}Parameter", parameter)
    ]
    assert missing == []


def test_no_function_reaches_a_parameter_it_does_not_use(template: Template, workspace_id: str) -> None:
    secret = endpoints.secret_parameter(PREFIX, workspace_id, "wh_01abc")
    credential = credentials.credential_parameter(PREFIX, workspace_id, "ch_01abc")

    assert not any(
        allowed(template, fn, "ssm:GetParameter", secret) for fn in names.Function if fn is not names.Function.WEBHOOKS
    )
    assert not allowed(template, names.Function.WEBHOOKS, "ssm:GetParameter", credential)
    for fn in (names.Function.REDIRECT, names.Function.MEDIA_CHECK):
        assert actions_by_resource(role_statements(template, fn), "ssm") == {}, fn


# The redirect function


def test_the_redirect_role_may_only_update_items_of_the_links_table(template: Template) -> None:
    links = table_ids(template)[names.Table.LINKS]
    granted = actions_by_resource(role_statements(template, names.Function.REDIRECT), "dynamodb")

    # follow(): a visitor's marker, one conditional UpdateItem that counts the click and returns the target, one
    # more for its hour, and the hour's visitor key: all UpdateItem
    assert granted == {f"<{links}.Arn>": {"dynamodb:UpdateItem"}}


# Tables a function only reads


def test_tables_a_function_only_reads_grant_it_no_write(template: Template) -> None:
    tables = table_ids(template)
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for fn, access in TABLE_ACCESS.items():
        granted = actions_by_resource(role_statements(template, fn), "dynamodb")
        for table in (t for t, a in access.items() if a is Access.READ):
            on_table = set().union(*(actions for resource, actions in granted.items() if tables[table] in resource))
            assert on_table and not on_table & writes, (fn.value, table.value, on_table)


def test_the_api_only_reads_engagement_snapshots_and_never_touches_listening_activity() -> None:
    assert TABLE_ACCESS[names.Function.API][names.Table.SNAPSHOTS] is Access.READ
    assert names.Table.ACTIVITY not in TABLE_ACCESS[names.Function.API]


# The cursor key (issue 15 item 11: page cursors are signed with it)

CURSOR_KEY = names.cursor_key_parameter(STACK_NAME)


def test_the_cursor_key_is_no_resource_of_the_stack_so_its_value_is_in_no_template(
    template: Template, template_json: dict[str, Any]
) -> None:
    # The API function makes it on first use (parley.shared.pagination): nothing to generate or to leak here.
    assert resources(template, "AWS::SecretsManager::Secret") == {}
    assert resources(template, "AWS::SSM::Parameter") == {}
    assert all(CURSOR_KEY not in str(output) for output in template_json.get("Outputs", {}).values())


def test_only_the_functions_that_page_may_read_and_make_the_cursor_key(template: Template) -> None:
    paging = {fn for fn, env in names.FUNCTION_ENV.items() if names.Env.CURSOR_KEY_PARAMETER in env}
    assert paging == {names.Function.API, names.Function.WEB}  # the web app's lists page as the API's do

    for fn in names.Function:
        for action in ("ssm:GetParameter", "ssm:PutParameter"):
            assert allowed(template, fn, action, CURSOR_KEY) is (fn in paging), (fn, action)
        assert not allowed(template, fn, "ssm:DeleteParameter", CURSOR_KEY), fn
    granted = actions_by_resource(role_statements(template, names.Function.API), "ssm")
    assert granted[PARAMETER_ARN + CURSOR_KEY] == {"ssm:GetParameter", "ssm:PutParameter"}


def test_the_functions_that_page_are_told_where_the_cursor_key_is(template: Template) -> None:
    for fn, fn_id in function_ids(template).items():
        variables = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Environment"]["Variables"]
        if names.Env.CURSOR_KEY_PARAMETER in names.FUNCTION_ENV[fn]:
            assert variables[names.Env.CURSOR_KEY_PARAMETER.value] == CURSOR_KEY, fn
        else:
            assert names.Env.CURSOR_KEY_PARAMETER.value not in variables, fn

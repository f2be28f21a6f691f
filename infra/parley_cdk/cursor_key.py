"""The key page cursors are signed with (parley.shared.pagination, HMAC-SHA256): an SSM SecureString parameter
of this deployment, `/parley/stacks/<stack name>/cursor-key` (names.cursor_key_parameter), under the
AWS-managed key aws/ssm. The stack makes no resource for it: the API function, the one function that pages
(the one names.FUNCTION_ENV tells where the key is), makes it on first use with a random value and a
conditional create (`Overwrite=False`), so the first containers to start agree on one key. It alone may
read and put that one parameter; no other role reaches it.

Why not a Secrets Manager secret CloudFormation generates (what parley had first): a secret costs $0.40 a
month at rest, a standard parameter nothing (docs/deploy.md, "What it costs at rest"). What the secret gave
is kept: the value is in no code, template or output, is encrypted at rest, and only the API reads it. What
changes: the API may also put it (a role that can read the key gains nothing by replacing it: a new key
only makes clients ask for a listing's first page again), and the parameter outlives the stack like the
other parameters under /parley/ (a new stack of the same name signs with the same key).
"""

from __future__ import annotations

from aws_cdk import Aws, Stack, aws_iam
from constructs import Construct

from parley.shared import names

# The functions that page: they are told where the key is, and alone may read (and make) it.
PAGING = frozenset(fn for fn, env in names.FUNCTION_ENV.items() if names.Env.CURSOR_KEY_PARAMETER in env)
ACTIONS = ("ssm:GetParameter", "ssm:PutParameter")


class CursorKey(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.parameter_name = names.cursor_key_parameter(Stack.of(self).stack_name)
        self.parameter_arn = f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{self.parameter_name}"

    def grant(self, function: names.Function, role: aws_iam.IRole) -> None:
        """Get and put this one parameter, for a function that pages; nothing for the others."""
        if function in PAGING:
            role.add_to_principal_policy(aws_iam.PolicyStatement(actions=list(ACTIONS), resources=[self.parameter_arn]))

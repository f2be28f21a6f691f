"""The key page cursors are signed with (parley.shared.pagination, HMAC-SHA256): a Secrets Manager secret whose
value CloudFormation generates at the first deploy, so that it is in no code, template or output. The
functions that page (those names.FUNCTION_ENV tells where it is: the API) get its ARN in their environment
and may GetSecretValue on it, nothing else; every other role has no access to it.

Why a secret rather than an SSM SecureString like the channel credentials: CloudFormation cannot create a
SecureString, so a function would have to create the key at run time (a write permission on it, and a race
between the first cold starts), and it would outlive the stack. Generated here, it exists before any
function runs and is gone with the stack.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Validations, aws_iam, aws_secretsmanager
from constructs import Construct

from infra.parley_cdk.nag import acknowledge
from parley.shared import names

# The functions that page: they are told where the key is, and alone may read it.
PAGING = frozenset(fn for fn, env in names.FUNCTION_ENV.items() if names.Env.CURSOR_KEY_SECRET in env)
# Letters and digits only (no punctuation to quote anywhere): 64 of them are about 380 bits.
LENGTH = 64
READ = "secretsmanager:GetSecretValue"


class CursorKey(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.secret = aws_secretsmanager.Secret(
            self,
            "Secret",
            description="parley: the key page cursors are signed with (HMAC-SHA256); read by the API function",
            generate_secret_string=aws_secretsmanager.SecretStringGenerator(
                password_length=LENGTH, exclude_punctuation=True, include_space=False
            ),
            # Nothing but cursors in flight depends on it: a new stack makes a new key, and a client whose
            # cursor is refused asks for the first page again.
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            Validations.of(self.secret),
            {
                "AwsSolutions-SMG4": "The cursor key only signs page cursors (a new key merely makes clients"
                " start a listing again), so rotation is left to the operator, who can put a new value, rather"
                " than to a rotation function that would add a Lambda and a schedule.",
            },
        )

    def grant_read(self, function: names.Function, role: aws_iam.IRole) -> None:
        """GetSecretValue on this one secret, for a function that pages; nothing for the others."""
        if function in PAGING:
            role.add_to_principal_policy(aws_iam.PolicyStatement(actions=[READ], resources=[self.secret.secret_arn]))

"""cdk-nag's AwsSolutions pack, applied through CDK's Validations, and the one way to acknowledge a rule.

Every acknowledgement carries a one-sentence reason; docs/deploy.md lists them all.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Aws, Validations
from cdk_nag import AwsSolutionsChecks

PACK = "AwsSolutions"


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(validations: Validations, reasons: dict[str, str]) -> None:
    """Acknowledge rules (e.g. 'AwsSolutions-APIG2', or a finding 'AwsSolutions-IAM5[Resource::...]')."""
    for rule, reason in reasons.items():
        validations.acknowledge(Acknowledgment(id=f"{PACK}::{rule}", reason=reason))


_PSEUDO = {Aws.PARTITION: "<AWS::Partition>", Aws.REGION: "<AWS::Region>", Aws.ACCOUNT_ID: "<AWS::AccountId>"}


def nag_arn(arn: str) -> str:
    """An ARN built from pseudo parameters, spelled the way cdk-nag names it in a finding."""
    for token, spelling in _PSEUDO.items():
        arn = arn.replace(token, spelling)
    return arn

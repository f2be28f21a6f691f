"""The offline guards: `cdk synth` without credentials, cdk-nag's AwsSolutions pack with every finding
either fixed or acknowledged with a reason, and cfn-lint on the synthesized template."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.infra.conftest import REPO_ROOT, Synth

NAG_PLUGIN = "AwsSolutions"
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
# cfn-lint's exit code is a bit field: 1 fatal, 2 errors, 4 warnings, 8 informational.
CFN_LINT_FAILURE_BITS = 1 | 2


def nag_report(synth: Synth) -> dict:
    report = json.loads((synth.outdir / "validation-report.json").read_text(encoding="utf-8"))
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == NAG_PLUGIN]
    return plugin


def test_cdk_synth_succeeds_offline_without_credentials(synth: Synth) -> None:
    # Given no AWS credentials, endpoints or default account (see offline_env)
    # When the pinned CDK CLI synthesizes the app from cdk.json (the session fixture)
    # Then it succeeds and writes the stack's template
    assert synth.returncode == 0, synth.output[-6000:]
    assert synth.template_path.exists()
    print(f"cdk synth took {synth.seconds:.1f} s")


def test_cdk_nag_leaves_no_unacknowledged_finding(synth: Synth) -> None:
    plugin = nag_report(synth)

    unacknowledged = [(v["ruleName"], v["severity"]) for v in plugin["violations"]]
    assert unacknowledged == []
    assert plugin["conclusion"] == "success"


def test_every_nag_acknowledgement_gives_one_sentence_of_why(synth: Synth) -> None:
    acknowledged = nag_report(synth)["suppressedViolations"]

    assert acknowledged, "expected the documented acknowledgements (docs/deploy.md)"
    for violation in acknowledged:
        reason = violation["reason"].strip()
        assert len(reason) > 40, violation["ruleName"]
        assert reason.endswith(".") and not re.search(r"\.\s+[A-Z]", reason), (violation["ruleName"], reason)


def test_every_acknowledgement_in_the_app_is_still_needed(synth: Synth) -> None:
    metadata = json.loads((synth.outdir / "Parley.metadata.json").read_text(encoding="utf-8"))
    declared = {
        rule
        for entries in metadata.values()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule in entry["data"]
    }
    used = {v["acknowledgedId"] for v in nag_report(synth)["suppressedViolations"]}

    assert declared
    assert sorted(declared - used) == []


def test_every_acknowledged_rule_is_listed_in_the_deploy_doc(synth: Synth) -> None:
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    rules = {v["ruleName"].split("[")[0] for v in nag_report(synth)["suppressedViolations"]}

    missing = sorted(rule for rule in rules if rule not in doc)
    assert missing == []


def test_cfn_lint_finds_no_errors_in_the_template(synth: Synth) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", str(synth.template_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert synth.template_path.exists()
    assert result.returncode & CFN_LINT_FAILURE_BITS == 0, result.stdout + result.stderr

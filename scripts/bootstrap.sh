#!/usr/bin/env bash
# Installs what parley needs on this machine, idempotently and with progress:
#   Python deps into .venv (pinned by pyproject.toml and constraints.txt),
#   the local Bluesky network (Node 22, @atproto/dev-env, Postgres, Redis) and, with --cdk (the tests),
#   the CDK CLI and Chromium.
# Usage: scripts/bootstrap.sh [--cdk]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '\n==> %s\n' "$*" >&2; }

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "parley needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
    exit 1
fi

stamp=.venv/.parley-deps
wanted="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [[ -x .venv/bin/python && -f $stamp && "$(cat $stamp)" == "$wanted" ]]; then
    say "Python dependencies up to date (.venv)"
else
    say "Installing Python dependencies into .venv (about a minute the first time)"
    [[ -x .venv/bin/python ]] || "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --progress-bar on -c constraints.txt -e '.[dev]'
    echo "$wanted" > $stamp
fi

say "Local Bluesky network (Node 22, @atproto/dev-env, Postgres, Redis)"
scripts/install-bluesky.sh

say "Prism (a validating mock of X's API, from X's own OpenAPI description)"
scripts/install-prism.sh

if [[ "${1:-}" == "--cdk" ]]; then
    say "AWS CDK CLI"
    scripts/install-cdk.sh
    say "Chromium (the tests open the HTML metrics report in it, headless)"
    scripts/install-chromium.sh
fi

#!/usr/bin/env bash
# Installs the pinned AWS CDK CLI (infra/package-lock.json) into infra/node_modules.
# Idempotent: runs `npm ci` only when the lock file changed since the last install (or nothing is
# installed). Then `infra/node_modules/.bin/cdk synth` works from the repository root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
infra="$root/infra"
stamp="$infra/node_modules/.parley-install-stamp"
cli="$infra/node_modules/.bin/cdk"

command -v npm >/dev/null || { echo "install-cdk: npm not found (Node.js 18+ is needed)" >&2; exit 1; }

wanted="$(sha256sum "$infra/package-lock.json" | cut -d' ' -f1)"
if [[ -x "$cli" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "install-cdk: CDK CLI $(node -p "require('$infra/node_modules/aws-cdk/package.json').version") already installed"
    exit 0
fi

echo "install-cdk: npm ci in infra/ (lock file changed or nothing installed)"
start=$SECONDS
(cd "$infra" && npm ci --no-audit --no-fund --loglevel=error)
echo "$wanted" > "$stamp"
echo "install-cdk: CDK CLI $(node -p "require('$infra/node_modules/aws-cdk/package.json').version") installed in $((SECONDS - start)) s"

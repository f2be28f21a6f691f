#!/usr/bin/env bash
# Installs Prism (@stoplight/prism-cli, pinned by tests/peers/prism/package-lock.json) into
# tests/peers/prism/node_modules. The X adapter's integration tests run it as a validating mock of
# X's own OpenAPI description (../shared/peers/x-openapi.json).
# Idempotent: runs `npm ci` only when package.json or the lock file changed since the last good install
# (or nothing is installed). Works with CI=true and no standard input. About 10 s the first time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peer="$root/tests/peers/prism"
stamp="$peer/node_modules/.parley-install-stamp"
cli="$peer/node_modules/.bin/prism"

command -v npm >/dev/null || { echo "install-prism: npm not found (Node.js 18+ is needed)" >&2; exit 1; }

wanted="$(cat "$peer/package.json" "$peer/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -x "$cli" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "install-prism: Prism $(node -p "require('$peer/node_modules/@stoplight/prism-cli/package.json').version") already installed" >&2
    exit 0
fi

echo "install-prism: npm ci in tests/peers/prism (lock file changed or nothing installed)" >&2
start=$SECONDS
(cd "$peer" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
echo "$wanted" > "$stamp"
echo "install-prism: Prism $(node -p "require('$peer/node_modules/@stoplight/prism-cli/package.json').version") installed in $((SECONDS - start)) s" >&2

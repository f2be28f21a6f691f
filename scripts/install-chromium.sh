#!/usr/bin/env bash
# Installs Debian's Chromium, which the tests use to open the HTML metrics report headless and take a
# screenshot of it (python -m infra.local.report --screenshot). Idempotent: nothing to do when
# `chromium` is on the PATH. Needs root (apt); about a minute the first time.
set -euo pipefail

say() { echo "install-chromium: $*" >&2; }

if command -v chromium >/dev/null; then
    say "$(chromium --version 2>/dev/null | head -1) already installed"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    say "chromium is missing and this is not root: run 'apt-get install -y chromium' as root"
    exit 1
fi
say "installing Debian's chromium (about a minute; apt prints its progress)"
start=$SECONDS
apt-get update -q </dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 chromium </dev/null
say "$(chromium --version 2>/dev/null | head -1) installed in $((SECONDS - start)) s"

#!/usr/bin/env bash
# The README's main job: set up the host, then run crossroot's main command on a sensible
# default. Until `verify` lands this inspects a real package fetched from the host's mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup-host.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download takes the mirror from the host's apt sources; refresh lists if there are none.
if ! (cd "$work" && apt-get download -q dpkg >/dev/null 2>&1); then
  apt-get update -qq
  (cd "$work" && apt-get download -q dpkg >/dev/null)
fi
node dist/cli/main.js inspect "$work"/dpkg_*.deb "$@"

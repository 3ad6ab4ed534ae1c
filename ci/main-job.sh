#!/usr/bin/env bash
# The README's main job: set up the host, then verify a bookworm arm64 essential root --
# built chrootless by crossroot and built the normal way (dpkg inside the root, qemu-user)
# from the same resolution -- against each other, with the mirror from the host's apt
# sources. Extra arguments go to `crossroot verify` (e.g. --variant buildd, a mirror).
# Exit 0: identical; 1: they differ (the report says where); 3/4: bad input / host problem.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup-host.sh
report="${CROSSROOT_REPORT:-crossroot-report}"
# Both builds take their dates from one SOURCE_DATE_EPOCH, so the comparison is fair.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(date +%s)}"
node dist/cli/crossroot.mjs verify --arch arm64 --variant essential --installer "${CROSSROOT_INSTALLER:-native}" --report "$report" bookworm "$@"

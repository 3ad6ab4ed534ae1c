#!/usr/bin/env bash
# npm run bench: crossroot build vs mmdebstrap --mode=chrootless, bookworm amd64, essential and
# buildd, from the same local mirror (a flat copy of the packages made with apt-ftparchive).
# This half makes the mirror; ci/bench-measure.mjs runs the cases in alternating rounds
# (BENCH_RUNS, default 3) and prints medians: crossroot warm (its cache filled, tools root
# reused) and cold (a fresh --cache-dir each run: download, decode, make the tools root), each
# also with --tools-root host, and mmdebstrap as its users run it (BENCH_MM=bwrap: inside bwrap
# with the host read-only).
#
# Fairness: both build their root in the same file system, a tmpfs mounted as their TMPDIR
# (BENCH_TMPFS=0: the work directory's own file system). On ext4 a build that creates 13,000
# files right after another removed as many spends seconds in the kernel, whichever tool it is:
# ext4 skips inodes freed in the last 60 s (300 s while their table block is dirty;
# fs/ext4/ialloc.c, recently_deleted()); seen with perf, a buildd build took 22-26 s right after
# another, 13.6 s after a pause. On disk, set BENCH_SETTLE=65 (seconds of pause before each run).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/crossroot-bench.XXXXXX")
# Traversable, as a TMPDIR is: apt inside mmdebstrap checks that its _apt user can reach the
# root and, where it cannot, downloads as root and leaves the partial/ directories root's.
chmod 0755 "$work"
trap 'mountpoint -q "$work/tmp" && umount "$work/tmp"; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000
# The command as installed (its interpreter line sets node's options), not `node main.js`.
cli="$PWD/dist/cli/crossroot.mjs"
cache="$work/crossroot-cache"

# 1. The local mirror: every package of the buildd set (a superset of essential), resolved and
#    downloaded by crossroot from the host's apt sources, then indexed by apt-ftparchive.
$cli resolve --variant buildd --cache-dir "$cache" --lock "$work/buildd.lock" --download bookworm >/dev/null 2>"$work/resolve.log"
mirror="$work/mirror"
mkdir -p "$mirror/pool" "$mirror/dists/bookworm/main/binary-amd64"
awk '/^Filename:/{f=$2} /^SHA256:/{print $2" "f}' "$work/buildd.lock" | while read -r sha file; do
  ln "$cache/sha256/${sha:0:2}/$sha" "$mirror/pool/$(basename "$file")"
done
# The archive's Priority and Section of each package (an override file, as the archive has one),
# from the host's apt lists: apt-ftparchive alone takes them from each .deb, where e.g. apt says
# "important" while the archive says "required", and mmdebstrap's buildd (?priority(required))
# would then install 129 packages where the archive gives 144 (crossroot's set, from its index).
awk '/^Package:/{print $2}' "$work/buildd.lock" | sort -u | xargs apt-cache show --no-all-versions 2>/dev/null |
  awk '/^Package:/{p=$2} /^Priority:/{pr=$2} /^Section:/{s=$2} /^$/{if (p != "" && pr != "" && s != "") print p, pr, s; p = pr = s = ""}' > "$work/override"
(cd "$mirror" && apt-ftparchive packages pool "$work/override" > dists/bookworm/main/binary-amd64/Packages)
(cd "$mirror/dists/bookworm" && apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm \
   -o APT::FTPArchive::Release::Codename=bookworm -o APT::FTPArchive::Release::Architectures=amd64 \
   -o APT::FTPArchive::Release::Components=main release . > "$work/Release" && mv "$work/Release" Release)
# mmdebstrap reads a local mirror as copy:// (file:// would need a bind mount); crossroot reads both.
line="deb [trusted=yes] copy://$mirror bookworm main"

mkdir -p "$work/tmp"
if [ "${BENCH_TMPFS:-1}" = 1 ]; then
  mount -t tmpfs -o size=12g,mode=1777 crossroot-bench "$work/tmp" || { echo "bench: cannot mount a tmpfs (not root?): BENCH_TMPFS=0 BENCH_SETTLE=65 measures on disk" >&2; exit 4; }
fi
BENCH_WORK="$work" BENCH_CLI="$cli" BENCH_LINE="$line" BENCH_CACHE="$cache" BENCH_TMP="$work/tmp" node ci/bench-measure.mjs

#!/usr/bin/env bash
# npm run bench: crossroot build vs mmdebstrap --mode=chrootless, bookworm amd64, essential and
# buildd, from the same local mirror (a flat copy of the packages made with apt-ftparchive),
# same run, warm caches. Prints wall time, CPU time (user+sys) and peak RSS of each, and the ratio.
# mmdebstrap's chrootless mode runs maintainer scripts as root on the host: it runs here inside
# bwrap with the host read-only (only its work directory writable), as crossroot's scripts do.
#
# Fairness: both build their root in the same file system (TMPDIR under the work directory),
# both are warmed up with one untimed build of each variant (crossroot's warm-up makes its
# prepared packages, mmdebstrap's fills the page cache), and every timed build starts after
# `sync` and a pause (BENCH_SETTLE seconds, default 65). The pause matters on ext4: when it
# allocates inodes it skips those freed in the last 60 s (300 s while their table block is
# dirty; fs/ext4/ialloc.c, recently_deleted()), so a build that creates 13,000 files right
# after another build removed as many spends seconds in the kernel (seen with perf: a buildd
# build took 22-26 s right after another, 13.6 s after a pause), whichever tool it is.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /var/tmp/crossroot-bench.XXXXXX)
# Traversable, as a TMPDIR is: apt inside mmdebstrap checks that its _apt user can reach the
# root and, where it cannot, downloads as root and leaves the partial/ directories root's.
chmod 0755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
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

measure() { # name, command...: prints "name wall cpu rss_kb"
  local name=$1; shift
  # The builders are shell functions: time runs them through a child bash.
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.$name" bash -c '"$@"' _ "$@" >"$work/out.$name" 2>&1 || { echo "$name failed:" >&2; tail -20 "$work/out.$name" >&2; exit 1; }
  read -r wall user sys rss < "$work/time.$name"
  printf '%s %s %s %s\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$rss"
}

mm() { # variant, output
  mkdir -p "$work/tmp"
  bwrap --ro-bind / / --bind "$work" "$work" --dev /dev --proc /proc --tmpfs /tmp --tmpfs /run \
    --setenv TMPDIR "$work/tmp" --setenv SOURCE_DATE_EPOCH "$SOURCE_DATE_EPOCH" \
    mmdebstrap --mode=chrootless --variant="$1" --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    bookworm "$2" "$line"
}
cr() { # variant, output, more options
  mkdir -p "$work/tmp"
  TMPDIR="$work/tmp" $cli build --variant "$1" --cache-dir "$cache" "${@:3}" bookworm "$2" "$line"
}
# The build that has to make its tools root first (the suite's packages for this host, installed
# by their own dpkg, cached in tools-v1/): what a first build with an empty cache pays once.
cr_new_tools() { # variant, output
  rm -rf "$cache/tools-v1"
  cr "$1" "$2"
}
# The other variant's tools root must survive the new-tools measurement: set aside, put back.
keep_tools() { mv "$cache/tools-v1" "$cache/tools-v1.kept"; }
restore_tools() { rm -rf "$cache/tools-v1"; mv "$cache/tools-v1.kept" "$cache/tools-v1"; }

export -f mm cr cr_new_tools
export work cli cache line
echo "warming up (one untimed build of each variant with each tool)..." >&2
for variant in essential buildd; do
  cr "$variant" "$work/warm-cr.tar" >"$work/warm-cr.log" 2>&1 || { tail -20 "$work/warm-cr.log"; exit 1; }
  mm "$variant" "$work/warm-mm.tar" >"$work/warm-mm.log" 2>&1 || { tail -20 "$work/warm-mm.log"; exit 1; }
  rm -f "$work"/warm-*.tar
done

settle() { sync; sleep "${BENCH_SETTLE:-65}"; }
results=()
for variant in essential buildd; do
  settle
  results+=("$(measure "crossroot-$variant" cr "$variant" "$work/cr-$variant.tar")")
  rm -f "$work/cr-$variant.tar"
  settle
  results+=("$(measure "cr-$variant-host-tools" cr "$variant" "$work/cr-$variant.tar" --tools-root host)")
  rm -f "$work/cr-$variant.tar"
  keep_tools
  settle
  results+=("$(measure "cr-$variant-new-tools" cr_new_tools "$variant" "$work/cr-$variant.tar")")
  rm -f "$work/cr-$variant.tar"
  restore_tools
  settle
  results+=("$(measure "mmdebstrap-$variant" mm "$variant" "$work/mm-$variant.tar")")
  rm -f "$work/mm-$variant.tar"
done

printf '\n%-26s %9s %9s %10s\n' "bookworm amd64" "wall s" "cpu s" "peak RSS"
for r in "${results[@]}"; do
  read -r name wall cpu rss <<<"$r"
  printf '%-26s %9.1f %9.1f %7d MB\n' "$name" "$wall" "$cpu" "$((rss / 1024))"
done
echo "(crossroot-V: tools root reused; cr-V-host-tools: --tools-root host; cr-V-new-tools: the tools root made first)"
echo
for variant in essential buildd; do
  c=$(printf '%s\n' "${results[@]}" | awk -v n="crossroot-$variant" '$1==n{print $2}')
  h=$(printf '%s\n' "${results[@]}" | awk -v n="cr-$variant-host-tools" '$1==n{print $2}')
  printf '%s: a build reusing its tools root takes %.2f of a --tools-root host build\n' "$variant" "$(echo "$c / $h" | bc -l)"
done
echo
for variant in essential buildd; do
  c=$(printf '%s\n' "${results[@]}" | awk -v n="crossroot-$variant" '$1==n{print $2}')
  m=$(printf '%s\n' "${results[@]}" | awk -v n="mmdebstrap-$variant" '$1==n{print $2}')
  printf '%s: crossroot takes %.2f of mmdebstrap --mode=chrootless wall time\n' "$variant" "$(echo "$c / $m" | bc -l)"
done

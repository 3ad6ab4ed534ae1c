#!/usr/bin/env bash
# Host set-up for crossroot on Debian (root): Debian packages, binfmt_misc, npm ci, build.
# Idempotent: every step checks before it acts, so running it twice is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(xz-utils zstd gpgv debian-archive-keyring bubblewrap qemu-user-static
          binfmt-support arch-test mmdebstrap dpkg-dev apt-utils python3 ca-certificates
          chromium attr libxml2-utils diffoscope-minimal time binutils bc rsync git
          squashfs-tools-ng genext2fs e2fsprogs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "crossroot setup: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    exit 4
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The machine's mirror may be a frozen snapshot whose Release files pass their Valid-Until
  # (bookworm-security's on 2026-12-13): apt would refuse to update from it.
  apt-get update -qq -o Acquire::Check-Valid-Until=false
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# binfmt_misc: mounted and enabled, so foreign binaries run under qemu-user.
if [ "$(id -u)" -eq 0 ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  fi
  if [ -e /proc/sys/fs/binfmt_misc/status ]; then
    update-binfmts --enable >/dev/null 2>&1 || true
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

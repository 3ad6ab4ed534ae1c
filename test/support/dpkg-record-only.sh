#!/bin/bash
# dpkg and dpkg-deb stand-ins that record packages as installed without installing them — see real-debs.ts.
#
# mmdebstrap is our oracle for WHICH packages a variant installs. Its later
# stages (the merged-usr essential hook, then `apt-get install build-essential
# ?priority(required)` for buildd) are resolved by apt against the dpkg status
# database left by the earlier stages. apt's resolver reads only the status
# stanzas (Package, Version, Architecture, Depends, Provides, Essential, ...),
# so writing each control stanza with "Status: install ok installed" gives apt
# the same view a real install would, without unpacking files or running
# maintainer scripts, and without qemu for a foreign architecture.
#
# Usage: dpkg-record-only.sh dpkg|dpkg-deb ARGS...
# (real-debs.ts puts two one-line wrappers named dpkg and dpkg-deb first on
# PATH, and points apt's Dir::Bin::dpkg at the first.)
#
# As dpkg (always given --root=DIR in mmdebstrap's chrootless mode):
#   --install/-i, --unpack  DEB... | --recursive DIR   record each package
#   --configure, --triggers-only                       nothing to do
#   --remove, --purge and other database changes       refused: not modelled
#   anything else (queries, --compare-versions, ...)    the real dpkg
#   Every --install/--unpack/--configure/--triggers-only call is also appended,
#   as one JSON line, to $CROSSROOT_DPKG_CALLS_LOG when that is set: the exact
#   arguments, and for installs the .deb files in the order dpkg takes them (a
#   --recursive directory's listing sorted by byte value, as dpkg's treewalk
#   sorts it) with their Package fields.
# As dpkg-deb:
#   --fsys-tarfile DEB   an empty tar: mmdebstrap pre-extracts the essential
#                        set, which only costs time when nothing is installed
#   anything else        the real dpkg-deb
# Environment: CROSSROOT_REAL_DPKG, CROSSROOT_REAL_DPKG_DEB (default /usr/bin/…),
# CROSSROOT_DPKG_CALLS_LOG (optional).
set -euo pipefail

real_dpkg=${CROSSROOT_REAL_DPKG:-/usr/bin/dpkg}
real_dpkg_deb=${CROSSROOT_REAL_DPKG_DEB:-/usr/bin/dpkg-deb}

tool=${1:?usage: dpkg-record-only.sh dpkg|dpkg-deb ARGS...}
shift

if [ "$tool" = dpkg-deb ]; then
	for arg in "$@"; do
		if [ "$arg" = --fsys-tarfile ]; then
			# Two zero blocks end a tar archive; GNU tar's default record is 10240 bytes.
			exec head -c 10240 /dev/zero
		fi
	done
	exec "$real_dpkg_deb" "$@"
fi
if [ "$tool" != dpkg ]; then
	echo "dpkg-record-only: unknown tool $tool" >&2
	exit 2
fi

root=${DPKG_ROOT:-}
admindir=
action=
recursive=0
takes_value=
debs=()

for arg in "$@"; do
	if [ -n "$takes_value" ]; then
		case $takes_value in
		--root) root=$arg ;;
		--admindir) admindir=$arg ;;
		esac
		takes_value=
		continue
	fi
	case $arg in
	--root | --admindir | --instdir | --status-fd | --command-fd | --log | --path-exclude | --path-include)
		takes_value=$arg
		;;
	--root=*) root=${arg#--root=} ;;
	--admindir=*) admindir=${arg#--admindir=} ;;
	--install | -i | --unpack) action=record ;;
	--configure | --triggers-only) action=ignore ;;
	--recursive | -R) recursive=1 ;;
	--remove | -r | --purge | -P | --record-avail | -A | --update-avail | --merge-avail | \
		--set-selections | --clear-selections | --add-architecture | --remove-architecture)
		echo "dpkg-record-only: action $arg is not modelled (args: $*)" >&2
		exit 1
		;;
	-*) ;;
	*) debs+=("$arg") ;;
	esac
done

if [ -z "$action" ]; then
	exec "$real_dpkg" "$@"
fi

# JSON string of $1 (arguments here are paths and options: no control characters).
json_string() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}
json_array() {
	local sep= item
	printf '['
	for item in "$@"; do
		printf '%s' "$sep"
		json_string "$item"
		sep=,
	done
	printf ']'
}
# log_call DEBS_ARRAY_NAME PACKAGES_ARRAY_NAME: appends this call to the log.
log_call() {
	[ -n "${CROSSROOT_DPKG_CALLS_LOG:-}" ] || return 0
	local -n log_debs=$1 log_pkgs=$2
	{
		printf '{"args":'
		json_array "${original_args[@]}"
		printf ',"debs":'
		json_array "${log_debs[@]}"
		printf ',"packages":'
		json_array "${log_pkgs[@]}"
		printf '}\n'
	} >>"$CROSSROOT_DPKG_CALLS_LOG"
}
original_args=("$@")

if [ "$action" = ignore ]; then
	no_debs=()
	log_call no_debs debs
	exit 0
fi

if [ -z "$admindir" ]; then
	admindir=$root/var/lib/dpkg
fi
if [ "$recursive" = 1 ]; then
	dirs=("${debs[@]}")
	debs=()
	for dir in "${dirs[@]}"; do
		while IFS= read -r -d '' f; do debs+=("$f"); done < <(find -L "$dir" -type f -name '*.deb' -print0 | LC_ALL=C sort -z)
	done
fi
if [ "${#debs[@]}" -eq 0 ]; then
	echo "dpkg-record-only: no packages given (args: $*)" >&2
	exit 1
fi

# dpkg-query (used by the merged-usr hook) wants these to exist.
mkdir -p "$admindir/info" "$admindir/updates"
status=$admindir/status
touch "$status"
new=$status.record-only-new
merged=$status.record-only-merged

: >"$new"
names=()
for deb in "${debs[@]}"; do
	if [ ! -f "$deb" ]; then
		echo "dpkg-record-only: not a file: $deb (args: $*)" >&2
		exit 1
	fi
	"$real_dpkg_deb" --field "$deb" | awk '{ print } /^Package:/ { print "Status: install ok installed" }' >>"$new"
	printf '\n' >>"$new"
	names+=("$("$real_dpkg_deb" --field "$deb" Package)")
done
log_call debs names

# New stanzas replace old ones of the same package and architecture (an
# upgrade, like the merged-usr hook replacing its dummy usr-is-merged).
awk '
	function flush() {
		if (stanza != "") {
			k = p " " a
			if (FILENAME == ARGV[1]) { seen[k] = 1; fresh = fresh stanza "\n" }
			else if (!(k in seen)) printf "%s\n", stanza
		}
		stanza = ""; p = ""; a = ""
	}
	/^$/ { flush(); next }
	{ stanza = stanza $0 "\n" }
	/^Package:/ { p = $2 }
	/^Architecture:/ { a = $2 }
	END { flush(); printf "%s", fresh }
' "$new" "$status" >"$merged"
mv "$merged" "$status"
rm -f "$new"

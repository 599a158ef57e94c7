#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install what racewatch needs to build and test, from Debian's packages only,
# and only what is missing. Safe to run again: it does nothing when all is there.
set -e

PKGS="build-essential clang llvm bpftool libbpf-dev libelf-dev libdw-dev zlib1g-dev
pkg-config libcapstone-dev libjson-c-dev linux-image-amd64 linux-headers-amd64 linux-source
qemu-system-x86 busybox-static cpio xz-utils kmod libc6-dbg gcc-multilib"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "racewatch: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi

echo "racewatch: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine: refresh once,
# and again if the install fails because an index moved.
apt-get update -q >/dev/null
# shellcheck disable=SC2086
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null; then
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

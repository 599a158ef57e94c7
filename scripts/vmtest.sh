#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot Debian's kernel in QEMU (software emulation) with an initramfs holding
# busybox, racewatch.ko, the racewatch programs, the selftests and the shared
# libraries they need, run something inside, and print what it printed.
#
#   vmtest.sh tests      run the VM selftests (scripts/run-tests.sh vm)
#   vmtest.sh demo       run the racy-counter demo (scripts/demo.sh --in-vm)
#   vmtest.sh shell CMD  run CMD (a shell command line) inside the VM
#
# Environment: KDIR (the headers the module was built against; the kernel
# image of the same version boots), RACEWATCH_TESTS (test-name glob),
# VM_TIMEOUT (seconds, default 4200), VM_MEM (MiB, default 2048), V=1.
# The VM can never hang the caller: QEMU is killed at VM_TIMEOUT.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/.output
mode=${1:-tests}
shift || true

kdir=${KDIR:-$("$top/scripts/kdir.sh")}
case $kdir in
/lib/modules/*/build) kver=$(basename "$(dirname "$kdir")") ;;
*) kver=$(basename "$kdir"); kver=${kver#linux-headers-} ;;
esac
kernel=/boot/vmlinuz-$kver
if [ ! -r "$kernel" ]; then
	echo "racewatch: no kernel image $kernel for the headers in $kdir" >&2
	echo "racewatch: install linux-image-$kver (make deps does)" >&2
	exit 1
fi
for f in "$out/racewatch.ko" /bin/busybox; do
	[ -r "$f" ] || { echo "racewatch: missing $f (run make)" >&2; exit 1; }
done

root=$(mktemp -d /tmp/racewatch-vm.XXXXXX)
chmod 755 "$root"	# the VM's / : non-root tests must be able to walk it
cleanup() { rm -rf "$root"; }
trap cleanup EXIT

# ---- the root file system ----------------------------------------------------------------------

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,lib/modules,rw/selftests/progs,usr/bin}
cp /bin/busybox "$root/bin/busybox"
cp "$out/racewatch.ko" "$root/lib/modules/racewatch.ko"
cp "$top"/scripts/run-tests.sh "$top"/scripts/demo.sh "$root/rw/" 2>/dev/null || true
[ -d "$out/selftests" ] && cp -a "$out/selftests/." "$root/rw/selftests/"
for p in "$out"/racewatch "$out"/racewatchd; do
	[ -x "$p" ] && cp "$p" "$root/rw/"
done
[ -d "$out/bench" ] && cp -a "$out/bench" "$root/rw/"

# Shared libraries of every dynamic ELF program in the image, at their real
# paths (uprobes attach to the libc file the programs map).
copy_lib() {
	local lib=$1 real
	[ -e "$root$lib" ] && return 0
	real=$(readlink -f "$lib")
	mkdir -p "$root$(dirname "$lib")" "$root$(dirname "$real")"
	[ -e "$root$real" ] || cp "$real" "$root$real"
	[ "$real" = "$lib" ] || ln -sf "$real" "$root$lib"
	copy_debug "$real"
}
# Detached debug info (libc6-dbg) by build id, so stacks through libc name
# start_thread and friends in the VM too.
copy_debug() {
	local id dbg
	id=$(readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
	[ -n "$id" ] || return 0
	dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
	[ -r "$dbg" ] || return 0
	mkdir -p "$root$(dirname "$dbg")"
	cp "$(readlink -f "$dbg")" "$root$dbg"
}
find "$root/rw" -type f -perm -u+x | while read -r f; do
	head -c 4 "$f" | grep -q ELF || continue
	ldd "$f" 2>/dev/null | awk '/=>/ { print $3 } /^\t\/[^ ]*ld-linux/ { print $1 }' \
		| grep '^/' || true
done | sort -u | while read -r lib; do copy_lib "$lib"; done
copy_lib /lib64/ld-linux-x86-64.so.2
# The usual names, so a program can find libc by its path.
for l in libc.so.6 libpthread.so.0 libm.so.6 librt.so.1 libdl.so.2 libstdc++.so.6 libgcc_s.so.1; do
	[ -e "/lib/x86_64-linux-gnu/$l" ] && copy_lib "/lib/x86_64-linux-gnu/$l"
done

echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

{
	echo "RACEWATCH_TESTS='${RACEWATCH_TESTS:-*}'"
	echo "RACEWATCH_MODE='$mode'"
	printf "RACEWATCH_CMD=%q\n" "$*"
} > "$root/etc/racewatch.env"

cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/rw
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmp /tmp
mount -t tmpfs shm /dev/shm
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ulimit -l unlimited
. /etc/racewatch.env
export RACEWATCH_TESTS RACEWATCH_KO=/lib/modules/racewatch.ko
echo "racewatch-vm: kernel $(uname -r)"
if insmod /lib/modules/racewatch.ko; then
	echo "racewatch-vm: module loaded"
else
	echo "racewatch-vm: insmod failed"
fi
cd /rw
case $RACEWATCH_MODE in
tests) sh /rw/run-tests.sh vm /rw/selftests ;;
demo) sh /rw/demo.sh --in-vm ;;
shell) sh -c "$RACEWATCH_CMD" ;;
esac
echo "racewatch-vm: dmesg-begin"
dmesg | grep -E 'racewatch|BUG|WARNING|Oops|RIP:|Call Trace' | tail -n 50
echo "racewatch-vm: dmesg-end"
echo "racewatch-vm: done"
poweroff -f
EOF
chmod +x "$root/init"

initrd=$root.cpio
(cd "$root" && find . | cpio -o -H newc --quiet) > "$initrd"
trap 'rm -rf "$root" "$initrd"' EXIT

# ---- boot ------------------------------------------------------------------------------------

accel=tcg
if [ -w /dev/kvm ]; then accel=kvm; fi
log=$root.log
set +e
timeout --kill-after=10 "${VM_TIMEOUT:-4200}" qemu-system-x86_64 \
	-machine q35,accel=$accel -cpu max -m "${VM_MEM:-2048}" -smp 2 \
	-nographic -no-reboot -monitor none -serial stdio -display none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic" </dev/null \
	| tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | tee "$log" \
	| { if [ "${V:-0}" = 1 ]; then cat; else awk '/^racewatch-vm: kernel/ { on = 1 }
		/^racewatch-vm: dmesg-begin/ { on = 0 } on { print; fflush() }'; fi; }
rc=${PIPESTATUS[0]}
set -e
trap 'rm -rf "$root" "$initrd" "$log"' EXIT

if ! grep -q '^racewatch-vm: done' "$log"; then
	echo "racewatch: the VM did not finish (qemu status $rc; timeout ${VM_TIMEOUT:-4200}s)" >&2
	[ "$mode" = tests ] && echo "racewatch-totals: 0 1 0"
	exit 1
fi
if sed -n '/racewatch-vm: dmesg-begin/,/racewatch-vm: dmesg-end/p' "$log" \
		| grep -qE 'BUG|WARNING|Oops|RIP:'; then
	echo "racewatch: the VM kernel logged a BUG/WARNING/Oops:" >&2
	sed -n '/racewatch-vm: dmesg-begin/,/racewatch-vm: dmesg-end/p' "$log" >&2
	[ "$mode" = tests ] && echo "racewatch-totals: 0 1 0"
	exit 1
fi
if [ "$mode" = tests ]; then
	grep -q '^racewatch-totals: [0-9]* 0 ' "$log" || exit 1
fi
exit 0

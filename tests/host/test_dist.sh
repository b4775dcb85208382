#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The packaging's shell logic, on the host: the udev naming helper and the
# systemd generator read /etc/ublk-bpf/NAME.conf right; DKMS's build script
# takes exactly the kernel release's ublk_drv.c or refuses in one line.
cd "$(dirname "$0")/../.." || exit 1
failed=0
fail() { echo "# FAIL: $*"; failed=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export UBLK_BPF_LIB=$PWD/dist/lib UBLK_BPF_CONFIG_DIR=$tmp/etc
mkdir -p "$UBLK_BPF_CONFIG_DIR"

cat >"$UBLK_BPF_CONFIG_DIR/data.conf" <<'CONF'
# -n 7 in a comment is no id
load /usr/lib/ublk-bpf/stripe.bpf.o -n 0 --file /srv/a.img --file=/data/b.img --chunk 64k
CONF
printf 'add -t loop \\\n  --number=1 "/srv/my disk.img"\n' >"$UBLK_BPF_CONFIG_DIR/my-disk.conf"
echo 'add -t null' >"$UBLK_BPF_CONFIG_DIR/noid.conf"
printf 'add -t rbd -n 5 --conf /etc/ceph/ceph.conf \\\n  --pool rbd --image vm1\n' >"$UBLK_BPF_CONFIG_DIR/vm1.conf"
echo 'load /usr/lib/ublk-bpf/rbd.bpf.o -n 6 --pool rbd --image vm2' >"$UBLK_BPF_CONFIG_DIR/vm2.conf"
echo 'add -t nbd -n 11 --host 10.0.0.5 --export disk' >"$UBLK_BPF_CONFIG_DIR/nas.conf"
echo 'add --target=nvme-tcp -n 12 --traddr 10.0.0.6 --subnqn nqn.x:y' >"$UBLK_BPF_CONFIG_DIR/fabric.conf"
echo 'add -t null -n 3' >"$UBLK_BPF_CONFIG_DIR/bad name.conf"

# udev-name ID
for pair in 0:data 1:my-disk; do
	got=$(sh dist/udev/udev-name "${pair%%:*}")
	[ "$got" = "${pair##*:}" ] || fail "udev-name ${pair%%:*} gave '$got', not ${pair##*:}"
done
for id in 7 2 x ''; do
	sh dist/udev/udev-name "$id" >/dev/null && fail "udev-name '$id' named a device"
done

# the generator
gen=$tmp/gen
mkdir -p "$gen"
sh dist/systemd/ublk-bpf-generator "$gen" "$gen" "$gen" || fail "the generator failed"
d=$gen/ublk-bpf@data.service.d/50-ublk-bpf-generator.conf
grep -qx 'Before=blockdev@dev-ublkb0.target blockdev@dev-ublk\\x2dbpf-data.target' "$d" ||
	fail "data: not ordered before its blockdev targets: $(cat "$d" 2>&1)"
grep -qx 'Wants=blockdev@dev-ublkb0.target blockdev@dev-ublk\\x2dbpf-data.target' "$d" ||
	fail "data: does not want its blockdev targets"
grep -qx 'RequiresMountsFor="/usr/lib/ublk-bpf/stripe.bpf.o" "/srv/a.img" "/data/b.img" ' "$d" ||
	fail "data: RequiresMountsFor is '$(grep RequiresMountsFor "$d")'"
d=$gen/ublk-bpf@my-disk.service.d/50-ublk-bpf-generator.conf
grep -q 'blockdev@dev-ublkb1.target' "$d" || fail "my-disk: no drop-in (a line joined by a backslash)"
grep -qx 'RequiresMountsFor="/srv/my disk.img" ' "$d" || fail "my-disk: a quoted path: $(grep RequiresMountsFor "$d")"
# Served from the network: started after network-online.target; a local one not.
for name in vm1 vm2 nas fabric; do
	d=$gen/ublk-bpf@$name.service.d/50-ublk-bpf-generator.conf
	grep -qx 'After=network-online.target' "$d" && grep -qx 'Wants=network-online.target' "$d" ||
		fail "$name (rbd, nbd, nvme-tcp): not after network-online.target: $(cat "$d" 2>&1)"
done
grep -q network "$gen/ublk-bpf@data.service.d/50-ublk-bpf-generator.conf" &&
	fail "data (stripe): waits for the network"
n=$(find "$gen" -name '*.conf' | wc -l)
[ "$n" -eq 6 ] || fail "the generator wrote $n drop-ins, not 6 (none for no id or a bad name)"

# dkms-make.sh check RELEASE, with dpkg-query answering from $FAKE_DPKG
src=$tmp/src
mkdir -p "$src/ublk-drv/6.12.118-1~deb12u1" "$tmp/bin"
cp debian/dkms-make.sh "$src/"
touch "$src/ublk-drv/6.12.118-1~deb12u1/ublk_drv.c" "$tmp/linux-source.tar.xz"
cat >"$tmp/bin/dpkg-query" <<'FAKE'
#!/bin/sh
# dpkg-query -W -f=${Version} PKG: the version in $FAKE_DPKG ("pkg=ver ...")
for p in $FAKE_DPKG; do [ "${p%%=*}" = "$3" ] && { printf '%s' "${p#*=}"; exit 0; }; done
exit 1
FAKE
chmod +x "$tmp/bin/dpkg-query"
check() {	# check WANT_RC RELEASE DPKG: runs the check, prints its stderr
	local out rc
	out=$(PATH=$tmp/bin:$PATH FAKE_DPKG=$3 UBLK_BPF_LINUX_SOURCE=$tmp/linux-source.tar.xz \
		sh "$src/dkms-make.sh" check "$2" 2>&1)
	rc=$?
	[ $rc -eq "$1" ] || fail "dkms-make.sh check $2 ($3): status $rc, not $1: $out"
	[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "dkms-make.sh check $2: not one line: $out"
	echo "$out"
}
k=6.12.118+deb12-amd64
check 0 $k "linux-headers-$k=6.12.118-1~deb12u1" | grep -q 'of Debian linux 6.12.118-1~deb12u1' ||
	fail "the carried copy was not taken"
k=6.12.120+deb12-amd64
check 1 $k "linux-headers-$k=6.12.120-1~deb12u1" | grep -q 'carries ublk_drv.c of 6.12.118-1~deb12u1 but not of 6.12.120-1~deb12u1' ||
	fail "an uncarried release was not refused by name"
check 0 $k "linux-headers-$k=6.12.120-1~deb12u1 linux-source-6.12=6.12.120-1~deb12u1" |
	grep -q 'from linux-source-6.12' || fail "linux-source of the same version was not taken"
check 1 $k "linux-headers-$k=6.12.120-1~deb12u1 linux-source-6.12=6.12.118-1~deb12u1" >/dev/null
check 1 $k "" | grep -q 'not Debian' || fail "headers without a package were not refused"
exit $failed

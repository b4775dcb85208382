#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The system test inside the guest, run at every boot by systest.service
# from the host's 9p folder (/run/systest): does what the host put in
# "plan" for this boot, writes KEY=VALUE lines to "result" (the host reads
# them once QEMU has exited) and ends the boot: "reboot" (QEMU exits, the
# host starts the next boot) or "poweroff".
#
# Plans: firstboot (install grub; image.sh), install (the packages, two
# devices with ext4 in fstab), cycle (check, fio load, fsync'd files,
# reboot under load), kupdate (check, install the newer kernel), kcheck
# (check on that kernel), remove (check, purge ublk-bpf-dkms), removed
# (the stock driver back, the devices still serve).
set -u
export DEBIAN_FRONTEND=noninteractive
ctl=/run/systest
plan=$(cat "$ctl/plan")
boot=$(cat "$ctl/boot" 2>/dev/null || echo 0)
exec >>"$ctl/guest.log" 2>&1
echo "=== boot $boot: plan $plan, kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
echo "started=$(cut -d' ' -f1 /proc/uptime)" >"$ctl/started"

# name:id of the devices: a BPF stripe and an io_uring loop, each ext4.
DEVS="bpf0:0 uring1:1"
SRV=/srv/ublk

result() { echo "$1" >>"$ctl/result"; }
fail() { echo "FAIL: $*"; result "fail=$*"; }

end_boot() {
	result "end=$1"
	echo "ending the boot: $1 (up $(cut -d' ' -f1 /proc/uptime) s)"
	echo "$1" >"$ctl/ending"
	sync
	systemctl "$1" --no-block
	exit 0
}

# Until the daemon has `serve`: a stand-in with its interface (read
# NAME.conf, create the device with it, READY=1 once the node is there,
# delete it on SIGTERM), dropped into the unit from the host's folder.
use_standin_if_needed() {
	if ublk-bpf serve --help >/dev/null 2>&1; then
		rm -rf /etc/systemd/system/ublk-bpf@.service.d
		result "serve=daemon"
		return
	fi
	install -D -m 0755 "$ctl/serve-standin" /usr/local/sbin/ublk-bpf-serve-standin
	mkdir -p /etc/systemd/system/ublk-bpf@.service.d
	printf '[Service]\nExecStart=\nExecStart=/usr/local/sbin/ublk-bpf-serve-standin %%i\nNotifyAccess=all\n' \
		>/etc/systemd/system/ublk-bpf@.service.d/standin.conf
	result "serve=standin"
}

# plan install: the packages from the host's folder with apt (offline:
# everything they depend on is in the image), then the two devices.
do_install() {
	local t0 t1 deb name id
	rm -rf /tmp/debs && mkdir -p /tmp/debs
	cp "$ctl"/debs/*.deb /tmp/debs/
	t0=$(date +%s)
	if ! apt-get install -y --no-install-recommends /tmp/debs/ublk-bpf_*.deb /tmp/debs/ublk-bpf-dkms_*.deb; then
		fail "apt-get install of the packages"
		return 1
	fi
	t1=$(date +%s)
	result "install_s=$((t1 - t0))"
	dkms status
	dkms status -m ublk-bpf -k "$(uname -r)" | grep ': installed' >/dev/null ||
		fail "dkms did not install ublk-bpf for $(uname -r)"
	check_module shim

	use_standin_if_needed
	mkdir -p "$SRV" /etc/ublk-bpf
	fallocate -l 128M "$SRV/a.img"
	fallocate -l 128M "$SRV/b.img"
	fallocate -l 256M "$SRV/c.img"
	cat >/etc/ublk-bpf/bpf0.conf <<-EOF
	# the BPF stripe over two files (the system test)
	load stripe -n 0 --file $SRV/a.img --file $SRV/b.img --chunk 64k --recovery
	EOF
	cat >/etc/ublk-bpf/uring1.conf <<-EOF
	# an io_uring loop device (the system test)
	add -t loop -n 1 --file $SRV/c.img --recovery
	EOF
	systemctl daemon-reload
	for d in $DEVS; do
		name=${d%%:*} id=${d##*:}
		systemctl enable "ublk-bpf@$name.service" || fail "enable ublk-bpf@$name"
		systemctl start "ublk-bpf@$name.service" || fail "start ublk-bpf@$name"
		mkfs.ext4 -q -L "$name" "/dev/ublkb$id" || fail "mkfs on /dev/ublkb$id"
		mkdir -p "/mnt/$name"
	done
	# One by its stable name and naming its unit, one plain line on the
	# node, ordered by ublk-bpf-generator alone: both must hold at boot.
	cat >>/etc/fstab <<-EOF
	/dev/ublk-bpf/bpf0 /mnt/bpf0 ext4 x-systemd.requires=ublk-bpf@bpf0.service 0 0
	/dev/ublkb1 /mnt/uring1 ext4 defaults 0 0
	EOF
	# SYSTEST_MUTANT=no-generator: without the generator the plain line
	# loses its order, which check_last_shutdown must catch.
	if grep -qx no-generator "$ctl/mutant" 2>/dev/null; then
		rm -f /usr/lib/systemd/system-generators/ublk-bpf-generator
		result "mutant=no-generator"
	fi
	systemctl daemon-reload
	systemctl show -p Before --value ublk-bpf@uring1.service | grep -q 'blockdev@dev-ublkb1.target' ||
		[ -f "$ctl/mutant" ] || fail "ublk-bpf@uring1 is not ordered before blockdev@dev-ublkb1.target"
	systemctl start mnt-bpf0.mount mnt-uring1.mount || fail "mounting the new fstab entries"
	check_devices
}

# The module loaded now: "shim" (ours, from DKMS) or "stock".
check_module() {
	local want=$1 file
	modprobe ublk_drv || fail "modprobe ublk_drv"
	file=$(modinfo -n ublk_drv 2>/dev/null)
	result "module_file=$file"
	result "module_version=$(cat /sys/module/ublk_drv/version 2>/dev/null || echo none)"
	if [ "$want" = shim ]; then
		case $file in
		*/updates/dkms/ublk_drv.ko*) ;;
		*) fail "ublk_drv is $file, not DKMS's" ;;
		esac
		[ -f /sys/module/ublk_drv/parameters/bpf_abi_version ] ||
			fail "the loaded ublk_drv has no bpf_abi_version: not the shim"
	else
		case $file in
		*/kernel/drivers/block/ublk_drv.ko*) ;;
		*) fail "ublk_drv is $file, not the kernel's own" ;;
		esac
		[ ! -e /sys/module/ublk_drv/parameters/bpf_abi_version ] ||
			fail "the shim is still loaded after removal"
	fi
}

# Every boot: the devices at their paths, served on their path (bpf0 on
# BPF unless $1 says io_uring), mounted, and their units' logs in the journal.
check_devices() {
	local want_bpf=${1:-bpf} d name id json path src lines
	for d in $DEVS; do
		name=${d%%:*} id=${d##*:}
		systemctl is-active -q "ublk-bpf@$name.service" || fail "ublk-bpf@$name is $(systemctl is-active "ublk-bpf@$name.service")"
		[ -b "/dev/ublkb$id" ] || fail "no /dev/ublkb$id"
		[ "$(readlink -f "/dev/ublk-bpf/$name")" = "/dev/ublkb$id" ] ||
			fail "/dev/ublk-bpf/$name does not lead to /dev/ublkb$id"
		json=$(ublk-bpf list -n "$id" --json 2>&1)
		path=$(echo "$json" | grep -o '"path":"[^"]*"' | head -n1 | cut -d'"' -f4)
		result "path_$name=$path"
		case $name in
		bpf*) [ "$path" = "$want_bpf" ] || fail "$name served on '$path', not $want_bpf" ;;
		*) [ "$path" = io_uring ] || fail "$name served on '$path', not io_uring" ;;
		esac
		src=$(findmnt -n -o SOURCE "/mnt/$name")
		[ "$(readlink -f "$src")" = "/dev/ublkb$id" ] || fail "/mnt/$name is '$src', not /dev/ublkb$id"
		lines=$(journalctl -b -q -o cat "_SYSTEMD_UNIT=ublk-bpf@$name.service" | wc -l)
		result "journal_lines_$name=$lines"
		[ "$lines" -gt 0 ] || fail "no log line of ublk-bpf@$name in this boot's journal"
	done
	ublk-bpf features >"$ctl/features-$boot.txt" 2>&1
}

# The last boot ended cleanly: each file system unmounted before its device
# stopped (the shutdown ordering), no stop timed out, no journal replay now.
check_last_shutdown() {
	local d name id jr um st
	[ "$boot" -gt 1 ] || return 0
	jr=$(journalctl -b -1 -q -o cat 2>/dev/null)
	# The devices' and mounts' lines of that boot, for the report.
	journalctl -b -1 -q -o short-monotonic 2>/dev/null | grep -E 'ublk|mnt-|/mnt/' \
		>"$ctl/journal-$((boot - 1)).txt"
	if [ -z "$jr" ]; then
		fail "no journal of the previous boot"
		return
	fi
	for d in $DEVS; do
		name=${d%%:*} id=${d##*:}
		um=$(echo "$jr" | grep -n "Unmounted.*/mnt/$name" | head -n1 | cut -d: -f1)
		st=$(echo "$jr" | grep -n "Stopped ublk-bpf@$name.service" | head -n1 | cut -d: -f1)
		if [ -z "$um" ] || [ -z "$st" ]; then
			fail "previous shutdown: no unmount ($um) or stop ($st) of $name in its journal"
		elif [ "$um" -gt "$st" ]; then
			fail "previous shutdown: ublk-bpf@$name stopped before /mnt/$name was unmounted"
		fi
		if dmesg | grep -q "EXT4-fs (ublkb$id): recovery complete"; then
			fail "/mnt/$name needed journal recovery: not unmounted cleanly"
		fi
	done
	if echo "$jr" | grep -E "ublk-bpf@|mnt-" | grep -qiE "timed out|killing process|failed with result"; then
		fail "previous shutdown: a ublk-bpf unit or mount timed out or failed"
		echo "$jr" | grep -E "ublk-bpf@|mnt-" | grep -iE "timed out|killing process|failed with result"
	fi
	result "last_shutdown=checked"
}

# fsck -n on each file system (unmounted for it), then every file an
# earlier boot wrote and fsync'd against the checksum the host keeps.
check_data() {
	local d name id rc n=0 bad=0 sum path
	for d in $DEVS; do
		name=${d%%:*} id=${d##*:}
		umount "/mnt/$name" || { fail "umount /mnt/$name"; continue; }
		fsck.ext4 -n -f "/dev/ublkb$id" >"$ctl/fsck-$boot-$name.txt" 2>&1
		rc=$?
		result "fsck_$name=$rc"
		[ $rc -eq 0 ] || fail "fsck -n of /dev/ublkb$id: status $rc"
		mount "/mnt/$name" || fail "mount /mnt/$name again"
	done
	if [ -f "$ctl/sums" ]; then
		while read -r sum path; do
			n=$((n + 1))
			if [ "$(sha256sum <"$path" 2>/dev/null | cut -d' ' -f1)" != "$sum" ]; then
				bad=$((bad + 1))
				echo "bad or missing: $path"
			fi
		done <"$ctl/sums"
	fi
	result "files_checked=$n"
	result "files_bad=$bad"
	[ $bad -eq 0 ] || fail "$bad of $n fsync'd files lost or changed"
}

# fio writing with fsync on both file systems, in the background (the
# reboot comes while it runs), and files with known content, each fsync'd
# (and its folder) before its checksum goes to the host.
start_load() {
	local d name i f
	for d in $DEVS; do
		name=${d%%:*}
		fio --name="load-$name" --directory="/mnt/$name" --filename=fio-load \
			--size=48M --bs=4k --rw=randwrite --ioengine=psync --fsync=16 \
			--time_based --runtime=3600 --output=/dev/null &
	done
	sleep 5
	for d in $DEVS; do
		name=${d%%:*}
		mkdir -p "/mnt/$name/files"
		for i in $(seq 1 "${FILES_PER_BOOT:-8}"); do
			f=/mnt/$name/files/boot$boot-$i
			head -c $((64 * 1024 + i * 512)) /dev/urandom >"$f.tmp"
			dd if="$f.tmp" of="$f" bs=64k conv=fsync status=none || fail "writing $f"
			rm -f "$f.tmp"
			sync "/mnt/$name/files"
			echo "$(sha256sum <"$f" | cut -d' ' -f1) $f" >>"$ctl/sums"
		done
	done
	pgrep -x fio >/dev/null || fail "fio is not running at the reboot"
	result "files_written=$(( ${FILES_PER_BOOT:-8} * 2 ))"
}

# Common to every boot after install. $1: shim (the default: DKMS's module,
# bpf0 on BPF) or stock (the kernel's driver, bpf0 fallen back to io_uring).
check_boot() {
	local module=${1:-shim} want_bpf=bpf state
	[ "$module" = stock ] && want_bpf=io_uring
	state=$(timeout 600 systemctl is-system-running --wait 2>&1)
	result "system_state=$state"
	[ "$state" = running ] || { fail "system state '$state'"; systemctl --failed --no-legend; }
	result "kernel=$(uname -r)"
	result "startup=$(systemd-analyze time 2>/dev/null | head -n1 | sed 's/.*= //')"
	systemd-analyze blame 2>/dev/null | grep -E 'ublk-bpf@|mnt-' | sed 's/^ */blame: /'
	check_last_shutdown
	check_module "$module"
	check_devices "$want_bpf"
	check_data
}

case $plan in
firstboot)
	grub-install /dev/vda && update-grub && result firstboot=ok
	end_boot poweroff
	;;
install)
	do_install
	end_boot poweroff
	;;
cycle)
	check_boot
	start_load
	end_boot reboot
	;;
kupdate)
	check_boot
	rm -rf /tmp/kernel && mkdir -p /tmp/kernel && cp "$ctl"/kernel/*.deb /tmp/kernel/
	t0=$(date +%s)
	apt-get install -y --no-install-recommends /tmp/kernel/*.deb || fail "installing the new kernel"
	result "kupdate_s=$(($(date +%s) - t0))"
	new=$(cat "$ctl/new_abi")
	dkms status
	dkms status -m ublk-bpf -k "$new" | grep ': installed' >/dev/null ||
		fail "dkms did not build ublk-bpf for $new"
	[ -n "$(find "/lib/modules/$new/updates/dkms" -name 'ublk_drv.ko*' 2>/dev/null)" ] ||
		fail "no ublk_drv in /lib/modules/$new/updates/dkms"
	grep -q "$new" /boot/grub/grub.cfg || fail "grub does not list $new"
	end_boot reboot
	;;
kcheck)
	new=$(cat "$ctl/new_abi")
	[ "$(uname -r)" = "$new" ] || fail "booted $(uname -r), not the new $new"
	check_boot
	end_boot poweroff
	;;
remove)
	check_boot
	apt-get purge -y ublk-bpf-dkms || fail "apt-get purge ublk-bpf-dkms"
	[ -z "$(dkms status -m ublk-bpf)" ] || fail "dkms still has ublk-bpf: $(dkms status -m ublk-bpf)"
	[ -z "$(find /lib/modules/*/updates/dkms -name 'ublk_drv.ko*' 2>/dev/null)" ] ||
		fail "a DKMS ublk_drv is left in /lib/modules"
	end_boot reboot
	;;
removed)
	# The BPF device falls back to io_uring on the stock driver: its data and
	# file system must not notice.
	check_boot stock
	end_boot poweroff
	;;
*)
	fail "unknown plan '$plan'"
	end_boot poweroff
	;;
esac

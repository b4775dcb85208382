#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mmdebstrap's customize hook for the system test's image (image.sh): $1 is
# the new root, $2 tests/system. A plain offline server: persistent journal,
# grub on the serial console with no menu wait, no timers that would add IO
# of their own during the test, and the unit that runs the test's guest
# script from the host's 9p folder at every boot.
set -euo pipefail
root=$1 here=$2

echo systest >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tsystest\n' >"$root/etc/hosts"
echo '/dev/vda1 / ext4 errors=remount-ro 0 1' >"$root/etc/fstab"
mkdir -p "$root/var/log/journal"

cat >"$root/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200 panic=-1 net.ifnames=0"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
GRUB

# Later kernels' initramfs only with the modules this machine needs: the
# kernel update inside the TCG guest is minutes shorter.
echo 'MODULES=dep' >"$root/etc/initramfs-tools/conf.d/systest"

for t in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer \
	 fstrim.timer dpkg-db-backup.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$t"
done

install -m 0755 "$here/systest-launch" "$root/usr/local/sbin/systest-launch"
install -m 0644 "$here/systest.service" "$root/etc/systemd/system/systest.service"
ln -sf /etc/systemd/system/systest.service \
	"$root/etc/systemd/system/multi-user.target.wants/systest.service"

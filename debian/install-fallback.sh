#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stand-in for `make install DESTDIR=$1 PREFIX=/usr` until the top Makefile
# has it (debian/rules uses that when present): the files the packages need.
set -eu
d=$1
install -D -m 0755 .output/bin/ublk-bpf "$d/usr/sbin/ublk-bpf"
install -d "$d/usr/lib/ublk-bpf" "$d/usr/include/ublk-bpf" "$d/usr/share/man" \
	"$d/usr/share/bash-completion"
install -m 0644 .output/bpf/*.bpf.o "$d/usr/lib/ublk-bpf/"
install -m 0644 bpf/*.h "$d/usr/include/ublk-bpf/"
install -D -m 0644 dist/systemd/ublk-bpf@.service "$d/usr/lib/systemd/system/ublk-bpf@.service"
install -D -m 0644 dist/udev/60-ublk-bpf.rules "$d/usr/lib/udev/rules.d/60-ublk-bpf.rules"
install -D -m 0755 dist/udev/udev-name "$d/usr/lib/ublk-bpf/udev-name"
install -D -m 0644 dist/lib/conf.sh "$d/usr/lib/ublk-bpf/conf.sh"
install -D -m 0755 dist/systemd/ublk-bpf-generator \
	"$d/usr/lib/systemd/system-generators/ublk-bpf-generator"

# SPDX-License-Identifier: GPL-2.0
#
# Reading /etc/ublk-bpf/NAME.conf from shell, for the udev rule's naming
# helper and the systemd generator (installed as /usr/lib/ublk-bpf/conf.sh).
# The file is one command line of add or load, '#' starts a comment
# (docs/usage.md, serve).

UBLK_BPF_CONFIG_DIR=${UBLK_BPF_CONFIG_DIR:-/etc/ublk-bpf}

# conf_words FILE: its words, one a line, split as serve splits them
# (blanks; "..." and '...' keep blanks; a backslash ending a line joins it):
# xargs's quoting is the same. No globbing.
conf_words() {
	sed -e 's/#.*//' -e 's/\\$//' "$1" | xargs -r -n1 printf '%s\n' 2>/dev/null
}

# conf_id FILE: the device id of its -n ID / --number ID; empty if none.
conf_id() {
	conf_words "$1" | awk '
		want { print; exit }
		$0 == "-n" || $0 == "--number" { want = 1; next }
		/^--number=/ { sub(/^--number=/, ""); print; exit }
		/^-n[0-9]/ { sub(/^-n/, ""); print; exit }'
}

# conf_paths FILE: its absolute paths (backing files, object, socket), one a
# line: the mounts that hold them must be there before the device.
conf_paths() {
	conf_words "$1" | sed -n -e 's/^--[a-z]*=\(\/.*\)/\1/p' -e t -e '/^\//p'
}

# conf_network FILE: true when its device is served from the network: the
# rbd, nbd and nvme-tcp targets (add -t NAME, or load of NAME / NAME.bpf.o),
# whose daemon connects to its servers as it starts (nbd over a local socket
# only waits for the network for nothing).
conf_network() {
	conf_words "$1" | awk '
		NR == 1 { first = $0 }
		prev == "-t" || prev == "--target" || (NR == 2 && first == "load") { t = $0 }
		/^--target=/ { t = substr($0, 10) }
		{ prev = $0 }
		END { sub(/.*\//, "", t); sub(/\.bpf\.o$/, "", t); exit !(t == "rbd" || t == "nbd" || t == "nvme-tcp") }'
}

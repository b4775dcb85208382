#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The contract's edges, each with an object of the tests' own:
# - attach_dev and detach_dev may sleep (docs/writing-a-target.md): a
#   program whose attach_dev is sleepable loads, is called once per device,
#   and the device serves;
# - an object with a second read-only section (.rodata.extra) loads: only
#   its own .rodata is `config` (pinned once, with the device's id), the
#   other keeps its bytes (the program fails every IO when it does not).
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_09
_need_shim
objs=$UBLK_REPO/.output/tests/bpf

_new_load "$objs/sleepy_attach.bpf.o" --size 16M
id=$UBLK_DEV_ID
n=$(bpftool map dump pinned "$UBLK_PIN_ROOT/$id/attached" | tr -d ' \n' | sed -n 's/.*"value":\([0-9]*\).*/\1/p')
[ "$n" = 1 ] || _fail "attach_dev ran '$n' times, expected once: $(bpftool map dump pinned "$UBLK_PIN_ROOT/$id/attached")"
dd if=/dev/ublkb$id of=/dev/null bs=64k count=16 iflag=direct status=none || _fail "IO on the sleepy target"
_del_dev "$id"

_new_load "$objs/two_rodata.bpf.o" --size 16M
id=$UBLK_DEV_ID
pins=$(ls "$UBLK_PIN_ROOT/$id")
[ "$(echo "$pins" | grep -c config)" = 1 ] || _fail "pins: $pins"
bpftool map dump pinned "$UBLK_PIN_ROOT/$id/config" | tr -d ' \n' | grep -q "\"dev_id\":$id" ||
	_fail "config does not hold dev_id $id: $(bpftool map dump pinned "$UBLK_PIN_ROOT/$id/config")"
dd if=/dev/ublkb$id of=/dev/null bs=64k count=16 iflag=direct status=none ||
	_fail "IO failed: .rodata.extra lost its bytes"
_del_dev "$id"
_nothing_left "bpf_09"
_check_dmesg
_cleanup_test
exit 0

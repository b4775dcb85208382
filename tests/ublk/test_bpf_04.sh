#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The maps a person reads: bpftool prints the pinned stats and config by
# field name and shows the counters moving; `ublk-bpf stats` agrees; del
# leaves nothing under bpffs and no module reference.
. "$(dirname "$0")/test_common.sh"
_prep_test bpf_04
_need_shim

_make_file "$UBLK_TMP/a.img" 16M
_make_file "$UBLK_TMP/b.img" 16M
_new_load --require-bpf "$UBLK_BPF_OBJS/stripe.bpf.o" --chunk 128k --file "$UBLK_TMP/a.img" --file "$UBLK_TMP/b.img"
id=$UBLK_DEV_ID
pins=$UBLK_PIN_ROOT/$id
for p in stats config ops; do [ -e "$pins/$p" ] || _fail "$pins/$p is not pinned"; done
bpftool map dump pinned "$pins/config" | grep -q '"chunk_shift": 17' || _fail "config: $(bpftool map dump pinned "$pins/config")"
bpftool map dump pinned "$pins/config" | grep -q '"nr_files": 2' || _fail "config has no nr_files 2"

sum_writes() { bpftool map dump pinned "$pins/stats" | sed -n 's/.*"write_ios": \([0-9]*\).*/\1/p' | paste -sd+ | bc; }
before=$(sum_writes)
dd if=/dev/urandom of=/dev/ublkb$id bs=4k count=100 oflag=direct status=none || _fail "dd"
after=$(sum_writes)
_log "bpftool: write_ios $before -> $after"
[ $((after - before)) -eq 100 ] || _fail "bpftool shows $((after - before)) more writes, expected 100"
[ "$(_tgt_stat "$id" write_ios)" -eq "$after" ] || _fail "ublk-bpf stats disagrees with bpftool"
"$UBLK_PROG" stats -n "$id" | grep -qE '^ +completed_in_kernel +[1-9]' || _fail "stats: $("$UBLK_PROG" stats -n "$id")"
"$UBLK_PROG" stats -n "$id" | grep -qE '^ +lat_us_log2 +\[[0-9,]*[1-9]' || _fail "stats has no latency buckets"
# (bpftool 7.5's `struct_ops show` crashes on a module's struct_ops type.)
bpftool map show | grep -qE 'struct_ops +name stripe_ops' || _fail "bpftool does not show the registered ops"

_del_dev "$id"
[ -e "$pins" ] && _fail "$pins left after del"
bpftool map show | grep -qE 'struct_ops +name stripe_ops' && _fail "ops still registered after del"
refs=$(cat /sys/module/ublk_drv/refcnt)
[ "$refs" -eq 0 ] || _fail "ublk_drv still has $refs references after del"
_check_dmesg
_cleanup_test
exit 0

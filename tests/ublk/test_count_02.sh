#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --count, when things go wrong. All or none: a --count call that fails
# half-way (an id in the range is taken; file descriptors run out once
# some devices have their queues) undoes every device it had made, and
# leaves the devices it did not make alone. kill -9 of the shared daemon:
# every device is DEAD or gone, and del -a cleans up. With --recovery each
# device is recovered on its own, by a daemon of its own.
. "$(dirname "$0")/test_common.sh"
_prep_test count_02

_ids() { "$UBLK_PROG" list --json | grep -o '"id":[0-9]*' | cut -d: -f2 | tr '\n' ' '; }

# An id in the range is taken: one line, nothing made, device 3 untouched.
_new_dev -t null -n 3 -d 4
pid3=$(_dev_field 3 pid)
_refused "device 3 already exists" add -t null -n 1 -d 4 --count 4
[ "$(_ids)" = "3 " ] || _fail "devices after a refused --count: $(_ids)"
[ "$(_dev_field 3 state)" = LIVE ] && [ "$(_dev_field 3 pid)" = "$pid3" ] || _fail "device 3 changed"
ls "${UBLK_BPF_RUN_DIR:-/run/ublk-bpf}"/{1,2,4}.json >/dev/null 2>&1 && _fail "state files of undone devices"

# File descriptors run out after some devices have their queues running
# (each takes a char device, a ring and an eventfd): all are undone.
out=$( (ulimit -n 24; "$UBLK_PROG" add -t null -d 4 --count 16) 2>&1) && _fail "--count 16 with 24 fds succeeded"
_log "with 24 fds: $out"
echo "$out" | grep -q "Too many open files" || _fail "the fd shortage was not the reason: $out"
[ "$(_ids)" = "3 " ] || _fail "devices after a failed --count: $(_ids)"
pgrep -f "ublk-bpf (add|load)" | grep -qvx "$pid3" && _fail "daemon of the failed --count still runs"
_del_dev 3
_nothing_left "failed --count"

# kill -9 of the daemon of 8 devices, one of them under IO.
out=$("$UBLK_PROG" add -t null -d 16 --count 8) || _fail "add --count 8 failed"
mapfile -t ids < <(echo "$out" | sed -n 's/^dev id //p')
pid=$(_dev_field "${ids[0]}" pid)
echo 5000 >/sys/block/ublkb${ids[2]}/queue/io_timeout
fio --name=busy --filename=/dev/ublkb${ids[2]} --ioengine=io_uring --direct=1 --rw=randread \
    --bs=4k --iodepth=16 --runtime=60 --time_based >"$UBLK_TMP/fio.log" 2>&1 &
FIO_PID=$!
sleep 1
kill -9 "$pid"
_wait_fio_gone 60 "kill -9 of the shared daemon"
for id in "${ids[@]}"; do
	st=$(_dev_field "$id" state)
	[ -z "$st" ] || [ "$st" = DEAD ] || _fail "device $id is $st after its daemon died"
done
timeout 60 "$UBLK_PROG" del -a || _fail "del -a after kill -9 failed"
_nothing_left "kill -9 of the shared daemon"

# --recovery: each device waits QUIESCED and is recovered on its own.
out=$("$UBLK_PROG" add -t null -d 16 --recovery --count 4) || _fail "add --recovery --count 4 failed"
mapfile -t ids < <(echo "$out" | sed -n 's/^dev id //p')
UBLK_DEVS+=("${ids[@]}")
pid=$(_dev_field "${ids[0]}" pid)
kill -9 "$pid"
for id in "${ids[@]}"; do _wait_state "$id" QUIESCED 10; done
out=$("$UBLK_PROG" recover -n "${ids[1]}") || _fail "recover -n ${ids[1]} failed"
[ "$out" = "dev id ${ids[1]}" ] || _fail "recover printed '$out'"
_wait_state "${ids[1]}" LIVE 5
[ "$(_dev_field "${ids[0]}" state)" = QUIESCED ] || _fail "recover -n ${ids[1]} changed device ${ids[0]}"
dd if=/dev/zero of=/dev/ublkb${ids[1]} bs=4k count=64 oflag=direct status=none &&
	dd if=/dev/ublkb${ids[1]} of=/dev/null bs=4k count=64 iflag=direct status=none ||
	_fail "IO on the recovered device ${ids[1]} failed"
pids=()
for id in "${ids[0]}" "${ids[2]}" "${ids[3]}"; do
	"$UBLK_PROG" recover -n "$id" >/dev/null || _fail "recover -n $id failed"
	_wait_state "$id" LIVE 5
done
for id in "${ids[@]}"; do pids+=("$(_dev_field "$id" pid)"); done
[ "$(printf '%s\n' "${pids[@]}" | sort -u | wc -l)" -eq 4 ] || _fail "recovered devices share daemons: ${pids[*]}"
# del -n of one recovered device ends its daemon only.
_del_dev "${ids[0]}"
kill -0 "${pids[0]}" 2>/dev/null && _fail "daemon ${pids[0]} outlived its device"
kill -0 "${pids[1]}" || _fail "daemon ${pids[1]} died with device ${ids[0]}"
"$UBLK_PROG" del -a || _fail "del -a failed"
UBLK_DEVS=()
_nothing_left "recovered --count devices"
_check_dmesg
_cleanup_test
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# crash_replay (tests/crash) on logs made here in dm-log-writes' format:
# every view of every layout at every cut point is byte for byte what the
# entries before the cut make it (the expected images computed apart, by a
# model of the layouts in Python); a check that fails is counted and makes
# the exit 1; a log cut short, a bad magic, cut points past the end and a
# final state that differs are refused (exit 2).
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
tool=$repo/.output/tests/crash_replay
[ -x "$tool" ] || { echo "# $tool not built (make unit)"; exit 1; }
command -v python3 >/dev/null || { echo "# SKIP: no python3"; exit 4; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "# FAIL: $*"; failed=1; }

# gen.py DIR LAYOUT CHUNK REGION_KIB...: DIR/log, DIR/final, DIR/cuts and
# DIR/want.CUT.VIEW for every cut point and view.
cat >"$tmp/gen.py" <<'EOF'
import os, random, struct, sys
d, layout, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
regions = [int(x) * 1024 for x in sys.argv[4:]]
ss = 512
offs, o = [], 0
for r in regions:
    offs.append(o)
    o += r
disk_size = o
rnd = random.Random(layout)
disk = bytearray(disk_size)
entries = []          # (header block + data)
states = {}           # cut -> copy of disk
def add(sector, nr, flags, data=b"", mark=b""):
    h = struct.pack("<QQQQ", sector, nr, flags, len(mark)) + mark
    entries.append(h.ljust(ss, b"\0") + data)
for i in range(200):
    if i % 17 == 5:
        add(0, 0, 1)                                  # flush
    elif i % 23 == 7:
        add(0, 0, 8, mark=b"m%d" % i)                 # mark
    elif i % 31 == 9:
        s = rnd.randrange(disk_size // ss - 16)
        n = rnd.randrange(1, 16)
        add(s, n, 4)                                  # discard
        disk[s * ss:(s + n) * ss] = bytes(n * ss)
    else:
        s = rnd.randrange(disk_size // ss - 24)
        n = rnd.randrange(1, 24)
        data = rnd.randbytes(n * ss)
        add(s, n, 2 if i % 11 == 0 else 0, data)      # FUA or plain write
        disk[s * ss:(s + n) * ss] = data
    states[len(entries)] = bytes(disk)
states[0] = bytes(disk_size)
cuts = [0, 1, 6, 50, 51, 99, 137, 200]
sup = struct.pack("<QQQI", 0x6a736677736872, 1, len(entries), ss).ljust(ss, b"\0")
open(os.path.join(d, "log"), "wb").write(sup + b"".join(entries) + bytes(4096))
open(os.path.join(d, "final"), "wb").write(bytes(disk))
open(os.path.join(d, "cuts"), "w").write("".join("%d\n" % c for c in cuts))
def views(st):
    mn = min(regions)
    if layout == "loop":
        return {"dev": st[offs[0]:offs[0] + regions[0]]}
    if layout == "mirror":
        return {"leg%d" % i: st[offs[i]:offs[i] + mn] for i in range(len(regions))}
    nf = len(regions) if layout == "stripe" else len(regions) // 2
    rows = mn // chunk
    out = {}
    for leg in ([0] if layout == "stripe" else [0, 1]):
        img = bytearray()
        for k in range(rows * nf):
            f = k % nf if layout == "stripe" else (k % nf) * 2 + leg
            p = offs[f] + (k // nf) * chunk
            img += st[p:p + chunk]
        out["dev" if layout == "stripe" else "leg%d" % leg] = bytes(img)
    return out
for c in cuts:
    for name, img in views(states[c]).items():
        open(os.path.join(d, "want.%d.%s" % (c, name)), "wb").write(img)
EOF

# run LAYOUT CHUNK REGION_KIB...: every view at every cut as the model says.
run() {
	local layout=$1 chunk=$2 d=$tmp/$1 args=() off=0 r out rc
	shift 2
	mkdir -p "$d"
	python3 "$tmp/gen.py" "$d" "$layout" "$chunk" "$@" || { fail "gen.py $layout"; return; }
	for r in "$@"; do
		args+=(--region "$off:$((r * 1024))")
		off=$((off + r * 1024))
	done
	out=$("$tool" replay "$d/log" --disk-size "$off" --layout "$layout" --chunk "$chunk" "${args[@]}" \
		--cuts "$d/cuts" --image "$d/img" --jobs 3 --final "$d/final" \
		-- sh -c 'cmp -s "$CRASH_IMAGE" "$0/want.$CRASH_CUT.$CRASH_VIEW" || { echo "differs at cut $CRASH_CUT ($CRASH_VIEW)"; exit 1; }' "$d" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	[ $rc -eq 0 ] || fail "$layout: exit $rc"
	echo "$out" | grep -q "200 entries, 8 cut points" || fail "$layout: not every cut point checked"
	ARGS=("${args[@]}") DISK=$off
}
run loop 0 512
run stripe 4096 256 256 260
run mirror 0 256 256
run raid10 8192 128 128 136 128

# A check that fails is counted, and the exit is 1.
d=$tmp/raid10
"$tool" replay "$d/log" --disk-size "$DISK" --layout raid10 --chunk 8192 "${ARGS[@]}" --cuts "$d/cuts" \
	--image "$d/img" -- sh -c '[ "$CRASH_VIEW" != leg1 ] || [ "$CRASH_CUT" -lt 99 ]' >"$tmp/out" 2>&1
rc=$?
grep -q '16 checks, 3 failed' "$tmp/out" && [ $rc -eq 1 ] || fail "failing checks: exit $rc, $(cat "$tmp/out")"

# refused INPUT_DESC ARGS...: exit 2.
refused() {
	local what=$1 rc
	shift
	"$tool" "$@" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "$what: exit $rc, not 2"
}
d=$tmp/loop
head -c 40000 "$d/log" >"$tmp/short"
refused "a log cut short" replay "$tmp/short" --disk-size 524288 --layout loop --region 0:524288 \
	--cuts "$d/cuts" --image "$d/img" -- true
refused "a log cut short (list)" list "$tmp/short"
{ printf 'XXXXXXXX'; tail -c +9 "$d/log"; } >"$tmp/magic"
refused "a bad magic" list "$tmp/magic"
echo 201 >"$tmp/cuts"
refused "a cut past the end" replay "$d/log" --disk-size 524288 --layout loop --region 0:524288 \
	--cuts "$tmp/cuts" --image "$d/img" -- true
printf 'x' | dd of="$d/final" bs=1 seek=1000 conv=notrunc status=none
refused "a final state that differs" replay "$d/log" --disk-size 524288 --layout loop --region 0:524288 \
	--cuts "$d/cuts" --image "$d/img" --final "$d/final" -- true
refused "a region past the disk" replay "$d/log" --disk-size 524288 --layout loop --region 4096:524288 \
	--cuts "$d/cuts" --image "$d/img" -- true
refused "raid10 without sets of two" replay "$d/log" --disk-size 524288 --layout raid10 --chunk 4096 \
	--region 0:4096 --region 4096:4096 --region 8192:4096 --cuts "$d/cuts" --image "$d/img" -- true
exit $failed

# SPDX-License-Identifier: GPL-2.0
#
# The one TAP emitter of the test runners: tests/run_tests.sh (make check),
# tests/ublk/run_all.sh (the VM tests) and tests/shim/test_shim.sh. Sourced;
# the counters are the caller's shell variables.
#
#   tap_start                     "TAP version 13", counters at 0
#   tap_result RC NAME [NOTE]     one numbered line: RC 0 ok, 4 skip, else not ok
#   tap_merge PREFIX [LEAD]       a nested TAP stream on stdin joins ours:
#                                 results renumbered, named PREFIX+NAME; any
#                                 other line a comment led by LEAD ("# ")
#   tap_end [LEAD]                the plan, then "N passed, N failed, N skipped"
#                                 (led by LEAD: "# " inside a nested stream);
#                                 its status is 0 when nothing failed
#
# The lines:  ok N NAME[ # NOTE]  /  ok N NAME # SKIP[ NOTE]  /
#             not ok N NAME # NOTE (without a note: "exit RC")
# tests/shim/mutants.sh and CI read them; CI reads the closing count of
# `make check`, its last line.

TAP_N=0 TAP_PASS=0 TAP_FAIL=0 TAP_SKIP=0

tap_start() {
	TAP_N=0 TAP_PASS=0 TAP_FAIL=0 TAP_SKIP=0
	echo "TAP version 13"
}

tap_result() {
	TAP_N=$((TAP_N + 1))
	case $1 in
	0) TAP_PASS=$((TAP_PASS + 1)); echo "ok $TAP_N $2${3:+ # $3}" ;;
	4) TAP_SKIP=$((TAP_SKIP + 1)); echo "ok $TAP_N $2 # SKIP${3:+ $3}" ;;
	*) TAP_FAIL=$((TAP_FAIL + 1)); echo "not ok $TAP_N $2 # ${3:-exit $1}" ;;
	esac
}

tap_merge() {
	local prefix=$1 lead=${2-"# "} line rest note rc
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"ok "* | "not ok "*) ;;
		"1.."* | "TAP version"*) continue ;;
		*) echo "$lead${line#"# "}"; continue ;;
		esac
		rc=0
		[[ $line == "not ok "* ]] && rc=1
		rest=${line#not }
		rest=${rest#ok }
		[[ $rest =~ ^[0-9]+\  ]] && rest=${rest#* }
		note=
		[[ $rest == *" # "* ]] && note=${rest#* # }
		if [ $rc -eq 0 ] && [[ $note =~ ^[Ss][Kk][Ii][Pp] ]]; then
			rc=4
			note=${note:4}
			note=${note# }
		fi
		tap_result $rc "$prefix${rest%% # *}" "$note"
	done
}

tap_end() {
	echo "1..$TAP_N"
	echo "${1:-}$TAP_PASS passed, $TAP_FAIL failed, $TAP_SKIP skipped"
	[ "$TAP_FAIL" -eq 0 ]
}

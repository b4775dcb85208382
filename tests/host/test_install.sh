#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make install DESTDIR=... PREFIX=/usr` on the host: the files it puts
# there are exactly `make install-list`'s and hold what a user needs (tool,
# built-in objects, headers, pkg-config file, man page, completion, license,
# dist/ files); the installed tool runs and finds its objects by name; a
# target outside the tree builds against the installed headers with
# pkg-config's flags and loads (up to the kernel); the installed man page
# and completion pass their own tests; `make uninstall` leaves nothing.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/ublk-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "# FAIL: $*"; failed=1; }

dest=$tmp/root
# dist/ as the system integration will lay it out, given on the command line.
mkdir -p "$tmp/dist"
echo '# test rule' >"$tmp/dist/99-ublk-bpf-test.rules"
echo '# test unit' >"$tmp/dist/ublk-bpf-test@.service"
vars=(DESTDIR="$dest" PREFIX=/usr DIST_UDEV="$tmp/dist/99-ublk-bpf-test.rules"
      DIST_SYSTEMD="$tmp/dist/ublk-bpf-test@.service")
mk() { make -s --no-print-directory -C "$repo" "$@"; }

mk install "${vars[@]}" >"$tmp/make.log" 2>&1 || { sed 's/^/# /' "$tmp/make.log"; fail "make install"; exit 1; }

# The file list: install-list's, and what a user needs in it.
got=$(cd "$dest" && find . -type f -o -type l | sed 's|^\.||' | sort)
want=$(mk install-list "${vars[@]}")
[ "$got" = "$want" ] || fail "installed files differ from install-list: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
need="/usr/sbin/ublk-bpf /usr/include/ublk-bpf/ublk_tgt.bpf.h /usr/include/ublk-bpf/ublk_bpf.bpf.h
      /usr/include/ublk-bpf/ublk_bpf_uapi.h /usr/include/ublk-bpf/ublk_tgt_common.h
      /usr/include/ublk-bpf/linux/ublk_cmd.h /usr/include/ublk-bpf/bpf/bpf_helpers.h
      /usr/include/ublk-bpf/bpf/bpf_helper_defs.h /usr/include/ublk-bpf/vmlinux.h
      /usr/include/ublk-bpf/vmlinux_gen.h /usr/lib/pkgconfig/ublk-bpf.pc
      /usr/share/man/man8/ublk-bpf.8 /usr/share/bash-completion/completions/ublk-bpf
      /usr/share/doc/ublk-bpf/LICENSE /usr/share/doc/ublk-bpf/GPL-2.0
      /lib/udev/rules.d/99-ublk-bpf-test.rules /lib/systemd/system/ublk-bpf-test@.service"
for src in "$repo"/bpf/*.bpf.c; do
	need+=" /usr/lib/ublk-bpf/$(basename "$src" .c).o"
done
for f in $need; do
	echo "$got" | grep -qxF "$f" || fail "not installed: $f"
done
[ "$(stat -c %a "$dest/usr/sbin/ublk-bpf")" = 755 ] || fail "the tool is not mode 755"
# Executable: the tool, the systemd generator and the udev rule's helper.
x755="! -path ./usr/sbin/ublk-bpf ! -path ./lib/systemd/system-generators/ublk-bpf-generator ! -path ./usr/lib/ublk-bpf/udev-name"
# shellcheck disable=SC2086
[ -z "$(cd "$dest" && find . -type f $x755 ! -perm 644)" ] ||
	fail "files not mode 644: $(cd "$dest" && find . -type f $x755 ! -perm 644)"
for f in lib/systemd/system-generators/ublk-bpf-generator usr/lib/ublk-bpf/udev-name; do
	[ "$(stat -c %a "$dest/$f")" = 755 ] || fail "/$f is not mode 755"
done
echo "# installed $(echo "$got" | wc -l) files"

# The installed tool, run from elsewhere.
prog=$dest/usr/sbin/ublk-bpf
mkdir -p "$tmp/work" && cd "$tmp/work" || exit 1
[ "$("$prog" --version)" = "ublk-bpf $(cat "$repo/VERSION")" ] || fail "--version: '$("$prog" --version 2>&1)'"
"$prog" help | grep -q '^usage: ublk-bpf' || fail "help"
"$prog" load --help | grep -q 'UBLK_BPF_OBJ_PATH' || fail "load --help does not say where objects are found"
# load NAME: the installed object, with or without its suffix.
objdir=$dest/usr/lib/ublk-bpf
for name in stripe stripe.bpf.o; do
	first=$("$prog" load "$name" --help-params 2>&1 | head -n1)
	[ "$first" = "$objdir/stripe.bpf.o: target stripe; its parameters (--set NAME=VALUE):" ] ||
		fail "load $name --help-params: '$first'"
done
# $UBLK_BPF_OBJ_PATH wins over the installed objects, a file here over both.
mkdir -p "$tmp/objs" && cp "$objdir/null.bpf.o" "$tmp/objs/stripe.bpf.o"
first=$(UBLK_BPF_OBJ_PATH=/nonexistent:$tmp/objs "$prog" load stripe --help-params 2>&1 | head -n1)
[[ "$first" == "$tmp/objs/stripe.bpf.o: target null;"* ]] || fail "UBLK_BPF_OBJ_PATH not searched first: '$first'"
cp "$objdir/loop.bpf.o" stripe
first=$(UBLK_BPF_OBJ_PATH=$tmp/objs "$prog" load stripe --help-params 2>&1 | head -n1)
[[ "$first" == "stripe: target loop;"* ]] || fail "a file here does not win: '$first'"
rm -f stripe
err=$("$prog" load nosuch --help-params 2>&1 >/dev/null); rc=$?
{ [ $rc -ne 0 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] && [[ "$err" == *"$objdir"* ]]; } ||
	fail "load nosuch: rc=$rc '$err'"
# A '/' makes it a path: never looked for.
"$prog" load ./stripe --help-params >/dev/null 2>&1 && fail "load ./stripe found the installed one"

# A target of one's own, outside the tree, built with the installed headers.
cp "$repo/bpf/null.bpf.c" "$repo/tests/bpf/params.bpf.c" "$tmp/work/"
export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig
cflags=$(pkg-config --define-variable=prefix="$dest/usr" --cflags ublk-bpf) || fail "pkg-config ublk-bpf"
[[ "$cflags" != *"$repo"* ]] || fail "pkg-config's flags name the tree: $cflags"
[ "$(pkg-config --variable=bpfobjdir ublk-bpf)" = /usr/lib/ublk-bpf ] || fail "bpfobjdir"
for t in null params; do
	# shellcheck disable=SC2086
	clang $cflags -Wall -c "$t.bpf.c" -o "$t.bpf.o" 2>"$tmp/cc.log" ||
		{ sed 's/^/# /' "$tmp/cc.log"; fail "$t.bpf.c does not build against the installed headers"; continue; }
	"$prog" load "./$t.bpf.o" --help-params | grep -q "target $t;" || fail "$t.bpf.o: no target"
done
# Its headers came from the install, not the tree.
# shellcheck disable=SC2086
deps=$(clang $cflags -MM params.bpf.c 2>/dev/null | tr -d '\\\n')
[[ "$deps" == *"$dest/usr/include/ublk-bpf/ublk_tgt.bpf.h"* && "$deps" != *"$repo"* ]] ||
	fail "params.bpf.c's headers: $deps"

# The installed man page and completion, by their own tests.
UBLK_BPF_PROG=$prog UBLK_BPF_MAN=$dest/usr/share/man/man8/ublk-bpf.8 \
	bash "$repo/tests/host/test_man.sh" >"$tmp/man.log" 2>&1 ||
	{ sed 's/^/# /' "$tmp/man.log"; fail "the installed man page"; }
UBLK_BPF_PROG=$prog UBLK_BPF_COMPLETION=$dest/usr/share/bash-completion/completions/ublk-bpf \
	bash "$repo/tests/host/test_completion.sh" >"$tmp/comp.log" 2>&1 ||
	{ sed 's/^/# /' "$tmp/comp.log"; fail "the installed completion"; }

# Uninstall: nothing left, not even ublk-bpf's own folders.
mk uninstall "${vars[@]}" >"$tmp/make.log" 2>&1 || { sed 's/^/# /' "$tmp/make.log"; fail "make uninstall"; }
left=$(cd "$dest" && find . \( -type f -o -type l -o -name '*ublk-bpf*' \) | sed 's|^\.||')
[ -z "$left" ] || fail "make uninstall left: $(echo "$left" | tr '\n' ' ')"

# The default prefix.
mk install-list | grep -qx /usr/local/sbin/ublk-bpf || fail "PREFIX is not /usr/local by default"
[ $failed -eq 0 ] && echo "# install, run, build a target outside the tree, uninstall: ok"
exit $failed

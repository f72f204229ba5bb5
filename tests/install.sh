#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `meson install --destdir` into a temp dir, then: every path of oomguard's
# that the installed unit names exists in the tree; the unit's
# ExecStartPre check passes on the installed config; that config is the
# built-in default spelled out; a second install keeps an edited config.
# usage: install.sh MESON BUILDDIR
set -u
meson=$1
build=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
fail() { echo "FAIL: $*"; exit 1; }

install_tree() {
	"$meson" install -C "$build" --destdir "$root" --no-rebuild >"$tmp/log" 2>&1 ||
		fail "meson install: $(cat "$tmp/log")"
}

install_tree
unit=$(find "$root" -path '*/lib/systemd/system/oomguard.service')
[ -n "$unit" ] && [ -f "$unit" ] || fail "no oomguard.service under lib/systemd/system: $(find "$root")"
! grep -n '@[A-Z_]*@' "$unit" || fail "placeholders left in the unit"

# Every absolute path of ours in ExecStartPre=, ExecStart= and Documentation=.
paths=$(grep -E '^(ExecStartPre|ExecStart|Documentation)=' "$unit" | tr ' =' '\n\n' |
	sed 's|^file://||' | grep '^/' | grep oomguard | sort -u)
[ "$(echo "$paths" | wc -l)" -ge 3 ] || fail "the unit names too few paths: $paths"
for p in $paths; do
	[ -e "$root$p" ] || fail "the unit names $p, which is not installed (tree: $(cd "$root" && find . -type f))"
done
echo "unit paths present: $(echo $paths)"

# ExecStartPre, as the unit runs it, inside the tree.
set -- $(sed -n 's/^ExecStartPre=//p' "$unit")
[ $# -eq 3 ] && [ "$2" = check ] || fail "unexpected ExecStartPre: $*"
bin=$root$1
config=$3
[ -x "$bin" ] || fail "$1 is not executable"
"$bin" check "$root$config" >"$tmp/check" 2>&1 || fail "ExecStartPre fails: $(cat "$tmp/check")"
grep -q -- "--config $config\$" "$unit" || fail "ExecStart reads another config than ExecStartPre checks"

# The installed config is the built-in default, spelled out: check
# describes it exactly as it describes an empty file.
: >"$tmp/empty.yaml"
"$bin" check "$tmp/empty.yaml" | tail -n +3 >"$tmp/builtin"
tail -n +3 "$tmp/check" >"$tmp/installed"
diff -u "$tmp/builtin" "$tmp/installed" || fail "the installed config differs from the built-in default"
! grep -n '@[A-Z_]*@' "$root$config" || fail "placeholders left in the config"

# The examples are under share/doc, not in the config dir.
find "$root" -path '*/doc/oomguard/examples/oomguard.yaml' | grep -q . || fail "no example under doc/"
[ "$(ls "$(dirname "$root$config")")" = oomguard.yaml ] || fail "more than the config in its dir"

# A second install keeps the admin's edit; a deleted config comes back.
echo "# edited by the admin" >>"$root$config"
install_tree
grep -q '^# edited by the admin$' "$root$config" || fail "a reinstall overwrote the edited config"
rm "$root$config"
install_tree
[ -f "$root$config" ] || fail "a reinstall did not put a missing config back"
echo "ok"

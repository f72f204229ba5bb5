#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Without pidfds (a kernel < 5.3, simulated with the OOMGUARD_TEST_HIDE test
# hook) the daemon refuses to run, exit 69, before it changes anything;
# explain still works and says why; --dry-run is not refused (not run here:
# it would start the daemon).
# usage: no-pidfd.sh BUILD/oomguard
set -u
bin=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

OOMGUARD_TEST_HIDE=pidfd_open "$bin" >"$tmp/out" 2>"$tmp/err" </dev/null
st=$?
[ $st -eq 69 ] || fail "daemon exit status $st, expected 69"
grep -q 'refusing to run: oomguard kills only through pidfds' "$tmp/err" || fail "no refusal: $(cat "$tmp/err")"
grep -q '"event":"kernel".*pidfd_open hidden (OOMGUARD_TEST_HIDE): oomguard will not kill' "$tmp/out" ||
	fail "no kernel record: $(cat "$tmp/out")"
grep -q '"event":"start"' "$tmp/out" && fail "it started"

OOMGUARD_TEST_HIDE=pidfd_send_signal "$bin" explain --json >"$tmp/json" 2>/dev/null || fail "explain failed"
grep -q '"pidfd_send_signal":"hidden"' "$tmp/json" || fail "explain --json: $(cat "$tmp/json")"
grep -q '"can_kill":false' "$tmp/json" || fail "explain --json says it can kill"
OOMGUARD_TEST_HIDE=pidfd_open "$bin" status >"$tmp/status" 2>&1 || fail "status failed"
grep -q 'the daemon refuses to run' "$tmp/status" || fail "status: $(cat "$tmp/status")"
echo "ok"

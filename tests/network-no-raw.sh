#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Without CAP_NET_RAW the network guard stays active on rtnetlink alone and
# says what it cannot see, in explain --json and in status. As root the
# capability is dropped from the bounding set (setpriv); a user lacks it.
# usage: network-no-raw.sh OOMGUARD
set -u
bin=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

run() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --bounding-set=-net_raw -- "$bin" "$@"
	else
		"$bin" "$@"
	fi
}
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
	echo "SKIP: setpriv (util-linux) is not installed"
	exit 77
fi

run explain --json >"$tmp/json" 2>"$tmp/err" || fail "explain --json: $(cat "$tmp/err")"
tr -d ' \n' <"$tmp/json" >"$tmp/flat"
grep -q '"network":{"active":true,"mode":"rtnetlinkonly","packet_socket":false,"packet_socket_why":"Operationnotpermitted"' "$tmp/flat" ||
	fail "explain --json: $(grep -o '"network":{[^}]*' "$tmp/flat")"
grep -q '"local_duplicates":\[' "$tmp/flat" || fail "no local_duplicates in explain --json"
run status >"$tmp/status" 2>"$tmp/err" || fail "status: $(cat "$tmp/err")"
grep -q '^\[network\] active$' "$tmp/status" || fail "status: $(grep network "$tmp/status")"
grep -q 'no packet socket (Operation not permitted: CAP_NET_RAW is needed).*duplicates between local interfaces and IPv6 DAD failures still are' "$tmp/status" ||
	fail "status does not say what is lost: $(grep -A1 '^\[network\]' "$tmp/status")"
echo "network guard without CAP_NET_RAW: active on rtnetlink, says so"

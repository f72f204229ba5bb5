#!/usr/bin/env bash
# oomguard developer entry point (Debian 12, as root).
#   ./dev.sh run [ARGS]   install build deps, build, run build/oomguard in the foreground
#   ./dev.sh test         install everything, build, run every test (unit, fuzz,
#                         ASan+UBSan, VM scenarios under QEMU); last line: N passed, N failed
#   ./dev.sh build        install build deps and build
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PKGS="gcc meson ninja-build pkg-config libyaml-dev libjson-c-dev libsqlite3-dev libsystemd-dev libbpf-dev libcmocka-dev clang bpftool"
TEST_PKGS="clang llvm qemu-system-x86 linux-image-amd64 busybox-static kmod cpio xz-utils python3"
# the Debian package (tests/run-all, VM 52), the man pages, the DaemonSet manifest's check
TEST_PKGS+=" dpkg-dev debhelper fakeroot lintian groff-base man-db python3-yaml"
# VM 55: a user's desktop session (logind, a session bus, a notification server, nvim)
TEST_PKGS+=" dbus libpam-systemd python3-dbus python3-gi neovim"
# the metrics test: two Prometheus parsers (promtool and prometheus_client)
TEST_PKGS+=" python3-prometheus-client prometheus"
BENCH_PKGS="earlyoom nohang oomd stress-ng gnuplot-nox"

need_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo ">> installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "dev.sh: must run as root to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	need_install $BUILD_PKGS
	[ -f build/build.ninja ] || meson setup build >/dev/null
	ninja -C build
}

case "${1:-}" in
run)
	shift
	build >/dev/null
	exec build/oomguard "$@"
	;;
build)
	build
	;;
test)
	need_install $BUILD_PKGS $TEST_PKGS
	exec tests/run-all
	;;
bench)
	need_install $BUILD_PKGS $TEST_PKGS $BENCH_PKGS
	build
	shift
	exec bench/run "$@"
	;;
*)
	sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian package from this checkout and check it.
# usage: packaging/deb.sh [BUILDDIR]        (default: build)
#
# The source tree (tracked and untracked files git does not ignore) is
# copied to BUILDDIR/deb/oomguard-VERSION/, where `dpkg-buildpackage -us -uc
# -b` builds it as on a clean machine, so the .deb lands in BUILDDIR/deb/
# (VM scenario 52 installs BUILDDIR/deb/oomguard_*.deb) and the checkout
# stays clean. Then: the package holds the binary in /usr/sbin, the unit,
# the config as a conffile in /etc/oomguard, the man pages and the docs;
# `lintian` shows no error (its warnings are printed). DEB_BUILD_OPTIONS is
# passed through: tests/run-all sets nocheck (it runs the tests itself).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
out=$build/deb
version=$(dpkg-parsechangelog -S Version)
src=$out/oomguard-$version
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# files deleted in the checkout but still in the index are left out
	git ls-files -co --exclude-standard -z | xargs -0 sh -c \
		'for f; do [ -e "$f" ] && cp --parents -P "$f" "$0"; done; true' "$src"
else    # an unpacked tarball: everything but build directories
	tar -cf - --exclude='./build*' --exclude='./.git' . | tar -xf - -C "$src"
fi
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; fail "dpkg-buildpackage failed (log: $out/build.log)"; }
echo "dpkg-buildpackage: $(($(date +%s) - start)) s (DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-})"
deb=$(ls "$out"/oomguard_"$version"_*.deb)
changes=$(ls "$out"/oomguard_"$version"_*.changes)
echo "built $deb ($(du -k "$deb" | cut -f1) KiB)"

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$out/contents"
for p in /usr/sbin/oomguard /lib/systemd/system/oomguard.service /etc/oomguard/oomguard.yaml \
	/usr/share/man/man8/oomguard.8.gz /usr/share/man/man5/oomguard.yaml.5.gz \
	/usr/share/doc/oomguard/README.md /usr/share/doc/oomguard/copyright \
	/usr/share/doc/oomguard/examples/oomguard.yaml; do
	# /lib or /usr/lib for the unit (debhelper's choice); docs may be gzipped
	grep -qxE "(/usr)?$p(\.gz)?" "$out/contents" || fail "$p is not in the package"
done
dpkg-deb -e "$deb" "$out/control"
grep -qx /etc/oomguard/oomguard.yaml "$out/control/conffiles" || fail "the config is not a conffile"
unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/systemd/system/oomguard.service')
echo "$unit" | grep -qx 'ExecStart=/usr/sbin/oomguard --config /etc/oomguard/oomguard.yaml' ||
	fail "the unit's ExecStart is not /usr/sbin/oomguard --config /etc/oomguard/oomguard.yaml"
grep -q 'systemctl.*oomguard.service\|deb-systemd-helper' "$out/control/postinst" ||
	fail "the postinst does not enable the unit"
echo "contents ok: binary, unit, conffile, man pages, docs"

lrc=0
lintian --fail-on error --info "$changes" >"$out/lintian.txt" 2>&1 || lrc=$?
cat "$out/lintian.txt"
echo "lintian: $(grep -c '^E:' "$out/lintian.txt") errors, $(grep -c '^W:' "$out/lintian.txt") warnings"
[ $lrc -eq 0 ] || fail "lintian reports errors"
echo "ok"

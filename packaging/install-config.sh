#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# meson install script: install-config.sh SOURCE DIR
# Installs SOURCE as DIR/oomguard.yaml (under $DESTDIR) unless a file is
# already there: an installed config is the admin's, and a reinstall must
# not undo their edits.
set -eu
src=$1
case $src in /*) ;; *) src=${MESON_BUILD_ROOT:-.}/$src ;; esac
dir=${DESTDIR:-}$2
dest=$dir/oomguard.yaml
if [ -e "$dest" ] || [ -L "$dest" ]; then
	echo "Keeping existing $dest (the default is in $src)"
	exit 0
fi
if [ -n "${MESON_INSTALL_DRY_RUN:-}" ]; then
	echo "Would install $src to $dest"
	exit 0
fi
mkdir -p "$dir"
install -m 0644 "$src" "$dest"
echo "Installing $src to $dest"

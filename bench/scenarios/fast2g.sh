#!/bin/bash
# Fast runaway in a 2 GiB guest: exactly bench/scenarios/fast.sh (one og-hog,
# 16 MB steps, no pause, in system.slice/bench-hog.service; right victim: the
# hog), in a guest of 2 GiB RAM instead of 1 GiB (same kernel, 2 vCPUs), so
# that how a daemon's kill point moves with the machine's size is measured.
# bench/run boots a guest of the size below for it (one VM per daemon and
# guest size); bench/lib.sh refuses to run it in a guest of another size.
# bench-vm-memory: 2048M
. "$OG_REPO/bench/scenarios/fast.sh"

#!/bin/bash
# The BPF task iterator on Debian's 6.1 kernel (its rss_stat is an array of
# atomics, not the percpu counters of 6.2+): the unit test that compares the
# iterator's snapshot with /proc's for every process (same pids and start
# times, sizes within 2 pages, oom_score equal, the same ranking) runs in
# the guest, and the daemon says it scans with the iterator.
# vm-memory: 768M
# vm-timeout: 180
. "$OG_REPO/tests/vm/lib.sh"
t=$OG_BUILD/tests/test_scan_paths
[[ -x $t ]] || skip_all "test_scan_paths not built in $OG_BUILD"
"$t" >/tmp/scan.out 2>&1; st=$?
cp /tmp/scan.out "$OG_OUT/"
scan=$("$OG_BUILD/oomguard" explain 2>&1 | grep '^Process scan:')
info status=$st scan="$scan" result="$(grep -E 'PASSED|FAILED|SKIPPED' /tmp/scan.out | paste -sd ' ')"
require "! grep -q SKIPPED /tmp/scan.out" "the iterator did not load: $(grep -i skip /tmp/scan.out | head -2)"
require "[[ $st -eq 0 ]]" "the two scans differ: $(grep -E 'ERROR|FAIL' /tmp/scan.out | head -3)"
require "[[ '$scan' == *'BPF task iterator'* ]]" "the daemon does not scan with the iterator: $scan"
verdict

# SPDX-License-Identifier: GPL-2.0-or-later
# bench/plot.gp: MemAvailable and PSI memory over time in the fast runaway, one
# line per daemon (run 1 of each). Data from bench/aggregate.py. Run by
# bench/run:  gnuplot -e "datadir='DIR'; out='docs/bench-fast-runaway.png'" bench/plot.gp
if (!exists("datadir")) datadir = "build-bench/bench-plot"
if (!exists("out")) out = "docs/bench-fast-runaway.png"
daemons = system("cat '".datadir."/daemons.txt'")

col(d) = d eq "none" ? "#555555" : d eq "earlyoom" ? "#1f77b4" : d eq "oomd" ? "#2ca02c" : d eq "nohang" ? "#ff7f0e" : "#d62728"
wid(d) = d eq "oomguard" ? 3 : 1.5

set terminal pngcairo size 1100,1000 font "DejaVu Sans,11"
set output out
set datafile commentschars "#"
set style data linespoints
set pointsize 0.4
set termoption noenhanced
set grid
set key outside right top
set xrange [-0.5:6]
set lmargin 10
set rmargin 20
set multiplot layout 3,1 title "Fast runaway (og-hog --step-mb 16 --period-ms 0), 1 GiB guest, run 1 per daemon"

set title "MemAvailable"
set ylabel "MiB"
set yrange [0:*]
set format x ""
plot for [d in daemons] datadir."/fast-".d.".dat" using 1:2 title d lw wid(d) lc rgb col(d) pt 7

set title "PSI memory some (share of wall time stalled, per 100 ms)"
set ylabel "%"
set yrange [0:100]
plot for [d in daemons] datadir."/fast-".d.".dat" using 1:3 title d lw wid(d) lc rgb col(d) pt 7

set title "PSI memory full (share of wall time stalled, per 100 ms)"
set ylabel "%"
set xlabel "seconds since the hog started"
set format x "%g"
plot for [d in daemons] datadir."/fast-".d.".dat" using 1:4 title d lw wid(d) lc rgb col(d) pt 7
unset multiplot

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages: each renders with no warning (groff -ww, and man --warnings
# where man-db is installed), and every key of the config schema reaches
# oomguard.yaml(5). The keys come from two places that do not trust each
# other: the generator's own walk of config_top_keys (gen-config-page
# --keys), and a scan of the schema sources for every key name they declare
# (K("..."), SECTION("..."), .name = "..."), so a key in a table the walk
# misses fails too.
# usage: man-pages.py SRCDIR GEN_CONFIG_PAGE PAGE...
import glob, os, re, shutil, subprocess, sys

srcdir, gen, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


groff = shutil.which("groff")
man = shutil.which("man")
if not groff and not man:
    print("SKIP: neither groff (groff-base) nor man (man-db) is installed")
    sys.exit(77)
env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
for page in pages:
    cmds = []
    if groff:
        cmds.append([groff, "-ww", "-z", "-man", "-Tutf8", page])
    if man:
        cmds.append([man, "--warnings", "-E", "UTF-8", "-l", page])
    for cmd in cmds:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0 or r.stderr.strip():
            fail("%s: rc %d, warnings:\n%s" % (" ".join(cmd), r.returncode, r.stderr))
        else:
            print("ok: %s renders without warnings (%s)" % (os.path.basename(page), os.path.basename(cmd[0])))
    if not open(page).read().isascii():
        fail("%s is not ASCII (non-ASCII text must be written as \\[uXXXX])" % page)

yaml5 = [p for p in pages if p.endswith("oomguard.yaml.5")]
if len(yaml5) != 1:
    fail("no oomguard.yaml.5 among %s" % pages)
    sys.exit(1)
text = open(yaml5[0]).read()
# .TP / .B KEY: the entries of the KEYS section (roff's \- and \e undone)
entries = set(m.replace("\\-", "-").replace("\\e", "\\")
              for m in re.findall(r"^\.TP\n\.B (\S+)$", text, re.M))

walked = subprocess.run([gen, "--keys"], capture_output=True, text=True, check=True).stdout.split()
if len(walked) < 100:
    fail("gen-config-page --keys lists only %d keys" % len(walked))
missing = [k for k in walked if k not in entries]
if missing:
    fail("keys of the schema missing from oomguard.yaml(5): %s" % missing)
else:
    print("ok: all %d keys of the schema walk are entries of oomguard.yaml(5)" % len(walked))

sources = [os.path.join(srcdir, "src/core/config-schema.c")] + \
    sorted(glob.glob(os.path.join(srcdir, "src/guards/*/schema.c")))
declared = set()
for src in sources:
    s = open(src).read()
    declared |= set(re.findall(r'\b(?:K|SECTION)\(\s*"([a-z0-9_]+)"', s))
    declared |= set(re.findall(r'\.name\s*=\s*"([a-z0-9_]+)"', s))
if len(declared) < 80:
    fail("only %d key names found in %s" % (len(declared), sources))
last = set(re.split(r"[.\[\]]+", k.strip("[]."))[-1] for k in entries) | \
    set(p for k in entries for p in re.split(r"[.\[\]]+", k) if p)
unseen = sorted(n for n in declared if n not in last)
if unseen:
    fail("key names declared in the schema sources but in no entry of oomguard.yaml(5): %s" % unseen)
else:
    print("ok: all %d key names declared in %d schema sources appear in oomguard.yaml(5)" % (len(declared), len(sources)))

# Defaults: every key outside a list element says its default, and a few
# are spelled as the loader's built-in config has them.
for k in walked:
    if "[]" in k:
        continue
    m = re.search(r"^\.TP\n\.B %s\n.*\n(Default: [^\n]*)" % re.escape(k.replace("-", "\\-")), text, re.M)
    if not m:
        fail("%s has no Default: line" % k)
for k, d in [("memory.grace_period", "2s"), ("memory.margin", "0"), ("memory.policy", "adaptive"), ("memory.ceiling", "4GiB"), ("psi.stall", "150ms"),
             ("cgroup_settings.name", "oom_protector.slice"), ("logging.record_path", "unset"),
             ("values.default", "1"), ("memory.badness", "oom_score")]:
    if not re.search(r"^\.B %s\n.*\nDefault: %s\.$" % (re.escape(k), re.escape(d)), text, re.M):
        fail("%s: default %s not on the page" % (k, d))
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)

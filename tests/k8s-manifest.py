#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Static check of packaging/kubernetes/oomguard-daemonset.yaml (no cluster
# here: it is never applied): it parses (python3-yaml), and its DaemonSet
# has what one needs and what oomguard needs: apiVersion apps/v1, a
# selector matching the template's labels, hostPID, a container with an
# image, privileged (or the unit's capabilities), the host's cgroup tree
# mounted at /sys/fs/cgroup, the config from the ConfigMap mounted where
# --config points, every mount backed by a volume, the metrics textfile in a
# hostPath directory; the ConfigMap's config passes `oomguard check`.
# usage: k8s-manifest.py MANIFEST OOMGUARD
import os, re, subprocess, sys, tempfile

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed")
    sys.exit(77)

manifest, oomguard = sys.argv[1], sys.argv[2]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)
    return cond


docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
by_kind = {}
for d in docs:
    check(isinstance(d, dict) and "apiVersion" in d and "kind" in d and d.get("metadata", {}).get("name"),
          "a document without apiVersion, kind or metadata.name: %r" % (d,)[:200])
    by_kind.setdefault(d.get("kind"), []).append(d)
ds = (by_kind.get("DaemonSet") or [None])[0]
if not check(ds is not None, "no DaemonSet in %s" % manifest):
    sys.exit(1)
ns = ds["metadata"].get("namespace")
check(ds["apiVersion"] == "apps/v1", "DaemonSet apiVersion is %s, not apps/v1" % ds["apiVersion"])
check(any(n["metadata"]["name"] == ns for n in by_kind.get("Namespace", [])) or ns in (None, "kube-system"),
      "namespace %s is not created in the manifest" % ns)
spec = ds.get("spec", {})
sel = spec.get("selector", {}).get("matchLabels", {})
tmpl = spec.get("template", {})
labels = tmpl.get("metadata", {}).get("labels", {})
check(sel and all(labels.get(k) == v for k, v in sel.items()),
      "selector %s does not match the template's labels %s" % (sel, labels))
pod = tmpl.get("spec", {})
check(pod.get("hostPID") is True, "hostPID is not true: oomguard must see the node's processes")
check(pod.get("hostNetwork") is True, "hostNetwork is not true: the connector and the network guard need the node's")
containers = pod.get("containers") or []
check(len(containers) == 1, "expected one container, got %d" % len(containers))
c = containers[0] if containers else {}
check(c.get("name") and c.get("image"), "the container has no name or image")
sc = c.get("securityContext", {})
needed = {"KILL", "SYS_PTRACE", "SYS_RESOURCE", "IPC_LOCK", "NET_ADMIN", "SYS_ADMIN"}
caps = set(sc.get("capabilities", {}).get("add", []))
check(sc.get("privileged") is True or needed <= caps,
      "neither privileged nor the capabilities %s" % sorted(needed - caps))
check(not (sc.get("privileged") is True and sc.get("allowPrivilegeEscalation") is False),
      "privileged with allowPrivilegeEscalation: false is refused by the API server")
volumes = {v["name"]: v for v in pod.get("volumes", [])}
check(len(volumes) == len(pod.get("volumes", [])), "two volumes with one name")
mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
for m in mounts.values():
    check(m["name"] in volumes, "mount %s names no volume (%s)" % (m["mountPath"], m["name"]))
cg = mounts.get("/sys/fs/cgroup")
check(cg and volumes.get(cg["name"], {}).get("hostPath", {}).get("path") == "/sys/fs/cgroup"
      and not cg.get("readOnly"), "the host's /sys/fs/cgroup is not mounted (writable) at /sys/fs/cgroup")

cmd = c.get("command", []) + c.get("args", [])
check(cmd and cmd[0] == "/usr/sbin/oomguard", "the command is not /usr/sbin/oomguard: %s" % cmd)
check("--dry-run" not in cmd and "--proc" not in cmd, "the command has --dry-run or --proc: %s" % cmd)
config_path = cmd[cmd.index("--config") + 1] if "--config" in cmd else None
check(config_path, "no --config in the command")
config_text = None
if config_path:
    d, f = os.path.split(config_path)
    m = mounts.get(d)
    cm_name = m and volumes.get(m["name"], {}).get("configMap", {}).get("name")
    cms = [x for x in by_kind.get("ConfigMap", []) if x["metadata"]["name"] == cm_name]
    if check(cms, "--config %s is not in a mounted ConfigMap of the manifest" % config_path):
        check(cms[0]["metadata"].get("namespace") == ns, "the ConfigMap is in another namespace")
        config_text = cms[0].get("data", {}).get(f)
        check(config_text, "the ConfigMap has no key %s" % f)

if config_text:
    cfg = yaml.safe_load(config_text) or {}
    textfile = (cfg.get("metrics") or {}).get("textfile")
    if check(textfile, "the config sets no metrics.textfile"):
        d = os.path.dirname(textfile)
        m = mounts.get(d)
        check(m and "hostPath" in volumes.get(m["name"], {}) and not m.get("readOnly"),
              "metrics.textfile %s is not in a writable hostPath mount" % textfile)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "oomguard.yaml")
        open(path, "w").write(config_text)
        os.chmod(path, 0o644)
        r = subprocess.run([oomguard, "check", path], capture_output=True, text=True)
        if r.returncode and re.search(r'unknown key "metrics"', r.stderr):
            # metrics.textfile is not in this build yet: check the rest
            print("note: this build has no metrics section yet; checking the config without it")
            del cfg["metrics"]
            open(path, "w").write(yaml.safe_dump(cfg))
            r = subprocess.run([oomguard, "check", path], capture_output=True, text=True)
        check(r.returncode == 0, "oomguard check refuses the ConfigMap's config: %s" % r.stderr.strip())

print("%d failures (%d documents, DaemonSet %s/%s)" % (len(failures), len(docs), ns, ds["metadata"]["name"]))
sys.exit(1 if failures else 0)

"""The Ceph cluster behind offsite-rgw (issue 17): tests/tools/ceph-cluster
on loopback, started once per bench run under the work directory, with a
port base of its own (17660: the S3 endpoint, mon and OSD in 17661-17679,
apart from the test suite's clusters at 17480 and 17620), and stopped at the
end, also on failure, by its PID files. Its daemons are the store, as the
disk is for the local pair: their CPU is reported apart from the server's."""

import json
import os
import subprocess
import sys

from .processes import BenchError

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(SOURCE_DIR, "tests", "tools", "ceph-cluster")
PORT_BASE = 17660
DAEMONS = ("mon.a", "osd.0", "client.rgw.a")


class Cluster:
    def __init__(self, work):
        self.dir = os.path.join(work, "ceph")
        self.running = False

    def start(self, env):
        self.running = True  # a half-started cluster is stopped too
        with open(self.dir + ".log", "wb") as log:
            try:
                done = subprocess.run(["bash", SCRIPT, "start", self.dir, str(PORT_BASE)], env=env,
                                      stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      timeout=600)
            except subprocess.TimeoutExpired:
                raise BenchError(f"ceph-cluster start took over 600 s (log: {self.dir}.log)")
        if done.returncode != 0:
            with open(self.dir + ".log", "rb") as log:
                raise BenchError(f"ceph-cluster start failed:\n{log.read().decode(errors='replace')[-3000:]}")
        with open(os.path.join(self.dir, "endpoint")) as f:
            self.endpoint = f.read().strip()
        if not self.endpoint.startswith("http://127."):
            raise BenchError(f"refusing an S3 endpoint outside 127.0.0.0/8: {self.endpoint}")
        self.credentials = os.path.join(self.dir, "credentials")

    def stop(self):
        if not self.running:
            return
        self.running = False
        try:
            done = subprocess.run(["bash", SCRIPT, "stop", self.dir], capture_output=True,
                                  stdin=subprocess.DEVNULL, timeout=120)
            if done.returncode != 0:
                print(f"bench/run: ceph-cluster stop {self.dir} failed:\n{done.stderr.decode(errors='replace')}",
                      file=sys.stderr)
        except subprocess.TimeoutExpired:
            print(f"bench/run: ceph-cluster stop {self.dir} took over 120 s", file=sys.stderr)

    def pids(self):
        """The daemons' PIDs (the script checks they are this cluster's)."""
        out = []
        for name in DAEMONS:
            with open(os.path.join(self.dir, "run", name + ".pid")) as f:
                out.append(int(f.read().strip()))
        return out

    def bucket_bytes(self, bucket):
        """The bytes of the bucket's objects (radosgw-admin bucket stats;
        like du -sb, not rounded up to allocation units)."""
        done = subprocess.run(["timeout", "60", "radosgw-admin", "-c", os.path.join(self.dir, "ceph.conf"),
                               "bucket", "stats", "--bucket", bucket], capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"radosgw-admin bucket stats --bucket {bucket} failed:\n{done.stderr}")
        usage = json.loads(done.stdout).get("usage", {})
        return sum(u.get("size", 0) for u in usage.values())

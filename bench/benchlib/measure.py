"""Measuring one step of one tool: the client under /usr/bin/time (wall,
user+sys CPU, peak RSS), its server's peak RSS from /proc/PID/status VmHWM
(reset before the step through /proc/PID/clear_refs) and CPU from
/proc/PID/stat, the store's daemons' CPU likewise (offsite-rgw: Ceph's),
and the repository's size with du -sb afterwards."""

import os
import signal
import subprocess

from .processes import BenchError, check_alive, tail

TIME = "/usr/bin/time"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _server_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of proc(5) (utime, stime), counted from field 3 here.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _server_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError(f"no VmHWM in /proc/{pid}/status")


def _reset_hwm(pid):
    # "5" resets the peak resident set size to the current one (proc(5)).
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def stored_bytes(path):
    out = subprocess.run(["du", "-sb", path], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0])


def _stop_group(proc):
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_measured(cmd, env, log_prefix, servers=(), cwd=None, store_pids=()):
    """Runs cmd; returns its figures. A non-zero exit is a BenchError."""
    for proc in servers:
        check_alive(proc)
        _reset_hwm(proc.pid)
    cpu_before = [_server_cpu_seconds(p.pid) for p in servers]
    store_before = [_server_cpu_seconds(pid) for pid in store_pids]
    time_file = log_prefix + ".time"
    with open(log_prefix + ".out", "wb") as out, open(log_prefix + ".err", "wb") as err:
        # Its own process group, so that an interrupted benchmark stops the
        # tool too, not only /usr/bin/time above it.
        proc = subprocess.Popen([TIME, "-f", "%e %U %S %M", "-o", time_file] + cmd, env=env, cwd=cwd,
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            status = proc.wait()
        except BaseException:
            _stop_group(proc)
            raise
    if status != 0:
        raise BenchError(f"{' '.join(cmd)} exited with status {status}:\n{tail(log_prefix + '.err')}")
    for proc in servers:
        check_alive(proc)
    with open(time_file) as f:
        wall, user, system, rss_kib = f.read().strip().splitlines()[-1].split()
    result = {
        "wall_s": float(wall),
        "cpu_s": float(user) + float(system),
        "client_rss_mib": int(rss_kib) / 1024,
        "server_rss_mib": None,
        "server_cpu_s": None,
        "store_cpu_s": None,
    }
    if servers:
        result["server_rss_mib"] = max(_server_hwm_kib(p.pid) for p in servers) / 1024
        result["server_cpu_s"] = sum(_server_cpu_seconds(p.pid) - before
                                     for p, before in zip(servers, cpu_before))
    if store_pids:
        result["store_cpu_s"] = sum(_server_cpu_seconds(pid) - before
                                    for pid, before in zip(store_pids, store_before))
    return result

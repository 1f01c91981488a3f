"""Background servers the benchmark starts (offsited, rclone), each recorded
by PID and stopped by PID: SIGTERM, a bounded wait, then SIGKILL. Nothing is
ever killed by name. Every wait here has a deadline."""

import os
import socket
import subprocess
import time


class BenchError(Exception):
    """A loud failure: the benchmark stops and says why."""


class Processes:
    def __init__(self):
        self._started = []

    def start(self, name, cmd, env, log_dir):
        out = open(os.path.join(log_dir, name + ".out"), "wb")
        err = open(os.path.join(log_dir, name + ".err"), "wb")
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        out.close()
        err.close()
        proc.bench_name = name
        proc.bench_log = os.path.join(log_dir, name)
        self._started.append(proc)
        return proc

    def stop(self, proc, timeout=10.0):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc in self._started:
            self._started.remove(proc)

    def stop_all(self):
        for proc in list(self._started):
            if proc.poll() is None:
                proc.terminate()
        for proc in list(self._started):
            self.stop(proc)


def check_alive(proc):
    if proc.poll() is not None:
        raise BenchError(f"{proc.bench_name} (pid {proc.pid}) exited with status {proc.returncode}: "
                         f"{tail(proc.bench_log + '.err')}")


def wait_for_line(proc, line, timeout=10.0):
    """Until the server's stdout holds `line` (its readiness line)."""
    deadline = time.monotonic() + timeout
    path = proc.bench_log + ".out"
    while time.monotonic() < deadline:
        with open(path, "rb") as f:
            if line.encode() in f.read().splitlines():
                return
        check_alive(proc)
        time.sleep(0.05)
    raise BenchError(f"{proc.bench_name} did not print {line!r} within {timeout:.0f} s")


def wait_for_port(proc, host, port, timeout=10.0):
    """Until something accepts TCP connections at host:port (loopback only)."""
    if not host.startswith("127."):
        raise BenchError(f"refusing to connect outside 127.0.0.0/8: {host}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_alive(proc)
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"{proc.bench_name} did not listen on {host}:{port} within {timeout:.0f} s")


def tail(path, lines=15):
    try:
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"

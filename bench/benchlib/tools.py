"""The backup tools under test, one class each, behind one small interface:
setup() makes a fresh repository (and starts servers), backup_cmd() and
restore_cmd() give the command lines bench/run measures, repository is what
du measures, servers are the processes whose RSS and CPU count as the
server's, store_pids (offsite-rgw: Ceph's daemons) those whose CPU counts
as the store's. Each repetition gets fresh instances: new repositories, caches,
configuration and servers on new loopback addresses."""

import os
import subprocess

from . import measure
from .processes import BenchError, check_alive, wait_for_line, wait_for_port

# Every address the benchmark uses is in 127.0.0.0/8; offsite's stand-in
# data-centre subnets are those of the test suite (PRODUCT.md section 1).
SUBNETS = ["127.239.112.0/24", "127.239.113.0/24"]
OFFSITE_PORT = 16384
RCLONE_PORT = 18080


class Tool:
    name = ""

    def __init__(self, ctx, rep, rep_dir):
        self.ctx = ctx
        self.rep = rep
        self.dir = os.path.join(rep_dir, self.name)
        self.logs = os.path.join(self.dir, "logs")
        os.makedirs(self.logs)
        self.servers = []
        self.store_pids = []
        self.env = dict(ctx.base_env)
        self.backups = 0

    def run_setup(self, step, cmd, capture=False, cwd=None):
        """An unmeasured command (init, register); failures are loud."""
        log = os.path.join(self.logs, step)
        with open(log + ".err", "wb") as err:
            done = subprocess.run(cmd, env=self.env, cwd=cwd, stdout=subprocess.PIPE, stderr=err,
                                  stdin=subprocess.DEVNULL)
        with open(log + ".out", "wb") as out:
            out.write(done.stdout)
        if done.returncode != 0:
            with open(log + ".err", "rb") as err:
                raise BenchError(f"{self.name}: {' '.join(cmd)} exited with status "
                                 f"{done.returncode}:\n{err.read().decode(errors='replace')}")
        return done.stdout.decode()

    def stored_bytes(self):
        return measure.stored_bytes(self.repository)

    def restored_root(self, target, tree):
        # All three tools restore the absolute path below the target.
        return os.path.join(target, tree.lstrip("/"))

    def stop(self):
        for proc in self.servers:
            self.ctx.processes.stop(proc)


class Offsite(Tool):
    """offsite over TLS to an offsited pair (primary and alternate on one
    data directory) on loopback, set up as scripts/demo does."""

    name = "offsite"
    port = OFFSITE_PORT

    def init_store_args(self):
        return []  # the default store: a directory in the data directory

    def setup(self):
        ctx = self.ctx
        self.repository = os.path.join(self.dir, "dc")
        octet = ctx.octet + self.rep
        primary = f"127.239.112.{octet}:{self.port}"
        alternate = f"127.239.113.{octet}:{self.port}"
        subnets = [arg for s in SUBNETS for arg in ("--subnet", s)]
        fingerprint = self.run_setup("init", [ctx.offsited, "init", "--data", self.repository]
                                     + self.init_store_args()).strip()
        for role, listen in (("primary", primary), ("alternate", alternate)):
            proc = ctx.processes.start(
                f"offsited-{role}",
                [ctx.offsited, "serve", "--data", self.repository, "--listen", listen,
                 "--assign", f"{primary},{alternate}", "--registration-pair", f"{primary},{alternate}"]
                + subnets, self.env, self.logs)
            self.servers.append(proc)
            wait_for_line(proc, f"listening on {listen}")
        self.env.update(OFFSITE_PASSWORD_FILE=ctx.passphrase_file,
                        XDG_CACHE_HOME=os.path.join(self.dir, "cache"),
                        XDG_CONFIG_HOME=os.path.join(self.dir, "xdg-config"),
                        XDG_STATE_HOME=os.path.join(self.dir, "xdg-state"))
        self.client = [ctx.offsite, "--config-dir", os.path.join(self.dir, "config"), "--no-progress"]
        self.run_setup("register", self.client + ["register", "--registration", f"{primary},{alternate}"]
                       + subnets + ["--fingerprint", fingerprint])

    def backup_cmd(self, tree):
        return self.client + ["backup", tree], None

    def restore_cmd(self, target):
        return self.client + ["restore", "latest", "--target", target], None

    @classmethod
    def version(cls, ctx):
        return subprocess.run([ctx.offsite, "--version"], capture_output=True, text=True).stdout.strip()


class OffsiteRgw(Offsite):
    """The same offsited pair with its store in an S3 bucket (a new one each
    repetition) on the Ceph cluster bench/run starts (benchlib/ceph.py):
    the data centre on Ceph (issue 17). Its server figures are offsited's;
    Ceph's daemons are the store, their CPU a row of its own."""

    name = "offsite-rgw"
    port = OFFSITE_PORT + 1  # beside the local pair on the same addresses

    def init_store_args(self):
        cluster = self.ctx.ceph
        self.bucket = f"offsite-bench-{self.rep}"
        self.store_pids = cluster.pids()
        return ["--store", f"s3://{self.bucket}", "--s3-endpoint", cluster.endpoint,
                "--s3-credentials-file", cluster.credentials]

    def stored_bytes(self):
        # The data directory (metadata) and the bucket (the packs).
        return super().stored_bytes() + self.ctx.ceph.bucket_bytes(self.bucket)

    @classmethod
    def version(cls, ctx):
        ceph = subprocess.run(["ceph", "--version"], capture_output=True, text=True).stdout.strip()
        return super().version(ctx) + "; " + ceph


class Restic(Tool):
    """restic from Debian with a local repository, default compression."""

    name = "restic"

    def setup(self):
        self.repository = os.path.join(self.dir, "repo")
        self.env.update(RESTIC_REPOSITORY=self.repository, RESTIC_PASSWORD_FILE=self.ctx.passphrase_file,
                        RESTIC_CACHE_DIR=os.path.join(self.dir, "cache"))
        self.run_setup("init", ["restic", "init"])

    def backup_cmd(self, tree):
        return ["restic", "backup", tree], None

    def restore_cmd(self, target):
        return ["restic", "restore", "latest", "--target", target], None

    @classmethod
    def version(cls, ctx):
        return subprocess.run(["restic", "version"], capture_output=True, text=True).stdout.strip()


class ResticRest(Restic):
    """restic's networked case: its REST protocol to `rclone serve restic`
    on loopback, which stores into a local directory."""

    name = "restic-rest"

    def setup(self):
        ctx = self.ctx
        host = f"127.239.114.{ctx.octet + self.rep}"
        store = os.path.join(self.dir, "repo")
        os.makedirs(store)
        config = os.path.join(self.dir, "rclone.conf")
        open(config, "w").close()  # rclone wants a config file; it needs nothing in it
        self.env["RCLONE_CONFIG"] = config
        proc = ctx.processes.start("rclone", ["rclone", "serve", "restic", "--addr", f"{host}:{RCLONE_PORT}",
                                              store], self.env, self.logs)
        self.servers.append(proc)
        wait_for_port(proc, host, RCLONE_PORT)
        self.env.update(RESTIC_REPOSITORY=f"rest:http://{host}:{RCLONE_PORT}/",
                        RESTIC_PASSWORD_FILE=ctx.passphrase_file,
                        RESTIC_CACHE_DIR=os.path.join(self.dir, "cache"))
        self.run_setup("init", ["restic", "init"])
        self.repository = store

    @classmethod
    def version(cls, ctx):
        rclone = subprocess.run(["rclone", "version"], capture_output=True, text=True).stdout
        return super().version(ctx) + "; " + rclone.splitlines()[0].strip()


class Borg(Tool):
    """borg 1.2 from Debian, local repository, zstd level 3 (offsite's)."""

    name = "borg"

    def setup(self):
        self.repository = os.path.join(self.dir, "repo")
        with open(self.ctx.passphrase_file) as f:
            passphrase = f.read().strip()
        base = os.path.join(self.dir, "home")
        self.env.update(BORG_REPO=self.repository, BORG_PASSPHRASE=passphrase, BORG_BASE_DIR=base,
                        BORG_CACHE_DIR=os.path.join(base, "cache"),
                        BORG_CONFIG_DIR=os.path.join(base, "config"),
                        BORG_SECURITY_DIR=os.path.join(base, "security"),
                        BORG_KEYS_DIR=os.path.join(base, "keys"),
                        BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK="yes",
                        BORG_RELOCATED_REPO_ACCESS_IS_OK="yes")
        # HMAC-SHA-256 (repokey) is borg's fastest MAC where the CPU has SHA
        # instructions; BLAKE2b is faster where it has not.
        self.run_setup("init", ["borg", "init", "--encryption", self.ctx.borg_encryption])

    def backup_cmd(self, tree):
        self.backups += 1
        return ["borg", "create", "--compression", f"zstd,{self.ctx.zstd_level}",
                f"::snap-{self.backups}", tree], None

    def restore_cmd(self, target):
        # borg extracts relative to the working directory.
        return ["borg", "extract", f"::snap-{self.backups}"], target

    @classmethod
    def version(cls, ctx):
        return subprocess.run(["borg", "--version"], capture_output=True, text=True).stdout.strip()


TOOLS = {cls.name: cls for cls in (Offsite, OffsiteRgw, Restic, ResticRest, Borg)}
# Those that run unless --tools says otherwise: offsite-rgw needs Ceph.
DEFAULT_TOOLS = ["offsite", "restic", "restic-rest", "borg"]


def check_servers(tool):
    for proc in tool.servers:
        check_alive(proc)

"""Throwaway Redis servers and PostgreSQL clusters for the fault tests: started on their own ports, stopped and
restarted by the test, removed afterwards. The shared services on 6379/5432 are never touched."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REDIS_PORTS = range(6390, 6400)
POSTGRES_PORTS = range(5440, 5450)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(ports: range) -> int:
    for port in ports:
        if _port_free(port):
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{message} not reached within {timeout:.0f} s")


class ThrowawayRedis:
    """redis-server on a free port in 6390-6399, without persistence (as a crashed Redis loses its data)."""

    def __init__(self):
        self.port = free_port(REDIS_PORTS)
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "ThrowawayRedis":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.is_up, 10, message=f"redis on {self.port}")
        return self

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def postgres_binaries() -> Path | None:
    """The bin folder of the newest installed PostgreSQL, or None."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    for version in sorted(root.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 0, reverse=True):
        if (version / "bin" / "initdb").exists():
            return version / "bin"
    return None


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, trust auth) on a port in 5440-5449.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the postgres system user."""

    def __init__(self):
        self.bin = postgres_binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries are not installed")
        self.port = free_port(POSTGRES_PORTS)
        self.dir = Path(tempfile.mkdtemp(prefix="kexie-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> "ThrowawayPostgres":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def createdb(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayReplica(ThrowawayPostgres):
    """A streaming replica of a running ThrowawayPostgres: pg_basebackup -R copies the whole primary cluster and
    writes the standby settings, so the replica follows the primary's WAL (hot standby: read-only queries)."""

    def __init__(self, primary: ThrowawayPostgres):
        super().__init__()
        self.primary = primary

    def init(self) -> "ThrowawayReplica":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        )
        return self

    def sql(self, statement: str, port: int | None = None) -> str:
        result = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(port or self.port), "-U", "postgres", "-d", "postgres",
            "-XAtqc", statement,
        )
        return result.stdout.strip()

    def is_streaming(self) -> bool:
        """The primary has a walsender for this replica in the streaming state."""
        return self.sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", self.primary.port) != "0"


def kill_process_group(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """Signal a process started with start_new_session=True and all its children (a worker and its pool)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
    process.wait(30)

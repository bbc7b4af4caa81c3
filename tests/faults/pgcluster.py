"""A PostgreSQL cluster of the test's own, on a free port in a temporary folder, that the test may
stop and start (never the shared server). The binaries run as the `postgres` OS user: initdb refuses
root. Needs only the binaries (PostgreSQL 15's folder, or initdb/pg_ctl on the PATH)."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/local/bin"))


def _binary(name: str) -> str | None:
    for folder in BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


def missing() -> str | None:
    """Why a cluster cannot be made here (None: it can)."""
    absent = [n for n in ("initdb", "pg_ctl") if _binary(n) is None]
    if absent:
        return f"the PostgreSQL binaries {absent} were found neither in {[str(d) for d in BIN_DIRS]} nor on PATH"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no `postgres` OS user to run the PostgreSQL binaries as"
    if shutil.which("runuser") is None and os.geteuid() == 0:
        return "runuser is missing: the binaries cannot be run as `postgres`"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        # tmpfs when there is one: crash recovery's checkpoint then costs no disk flushes (a kill of the
        # server, which is what is tested, keeps what the kernel holds either way).
        shm = Path("/dev/shm")
        where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
        self.base = Path(tempfile.mkdtemp(prefix="polku-faults-pg-", dir=where))
        self.data, self.sockets, self.log = self.base / "data", self.base / "sockets", self.base / "server.log"
        self.port = free_port()
        self.sockets.mkdir()
        user = pwd.getpwnam("postgres")
        for path in (self.base, self.sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
        self.running = False
        try:
            self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                      "--no-locale")
        except BaseException:
            shutil.rmtree(self.base, ignore_errors=True)
            raise

    def _run(self, binary: str, *args: object) -> str:
        command = [_binary(binary), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.base)
        if done.returncode != 0:
            raise RuntimeError(f"{binary} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", self.data, "-l", self.log, "-o", options)
        self.running = True

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "stop", "-w", "-D", self.data, "-m", mode)
        self.running = False

    def create_database(self, name: str) -> str:
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        """Stopped whatever happened before (the finalizer), then its folder removed."""
        try:
            if self.running or (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

"""`polku` processes in a few milliseconds each, to kill and race by the hundred.

A server interpreter imports the CLI once (most of a `polku` command's second), then forks one child
per command: the child is a process of its own (its own pid, its own database connections, made
after the fork) that runs `polku.cli.main` with its own arguments, environment and output files, as
the `polku` console script does, and exits with its exit code. A child may wait at a gate (a file
that does not exist yet) so that several start their work at the same moment.

The server speaks JSON lines on stdin/stdout: {"op": "spawn", "args", "env", "out", "err", "gate"}
→ {"pid"}; {"op": "wait", "pid"} → {"status"} (the exit code, or minus the signal that ended it).
The test kills a child by its pid (os.kill) and asks the server, its parent, to reap it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    status: int  # exit code, or -signal
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.status == -9


class ForkServer:
    """The test's side: `spawn` a `polku` command, `wait` for it (after killing it, or not)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self._n = 0
        self._files: dict[int, tuple[Path, Path]] = {}
        self.proc = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT, bufsize=1)
        assert self._ask({"op": "ping"}) == {"ok": True}

    def _ask(self, request: dict) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server ended (exit {self.proc.poll()})")
        return json.loads(line)

    def spawn(self, args: list[str], env: dict[str, str], gate: Path | None = None) -> int:
        self._n += 1
        out, err = self.workdir / f"cmd{self._n}.out", self.workdir / f"cmd{self._n}.err"
        pid = self._ask({"op": "spawn", "args": [str(a) for a in args], "env": env, "out": str(out),
                         "err": str(err), "gate": str(gate) if gate else None})["pid"]
        self._files[pid] = (out, err)
        return pid

    def wait(self, pid: int) -> Outcome:
        status = self._ask({"op": "wait", "pid": pid})["status"]
        out, err = self._files.pop(pid)
        # A child killed right after the fork never made its files.
        outcome = Outcome(status, *(p.read_text() if p.exists() else "" for p in (out, err)))
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        return outcome

    def run(self, args: list[str], env: dict[str, str]) -> Outcome:
        return self.wait(self.spawn(args, env))

    def close(self) -> None:
        for pid in list(self._files):  # children still running when a test failed
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
            self.wait(pid)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# --- the server ---------------------------------------------------------------------------------

def _child(request: dict) -> None:
    """In the forked child: never returns."""
    code = 70
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        os.environ.update(request["env"])
        gate = request["gate"]
        if gate:
            deadline = time.monotonic() + 60
            while not os.path.exists(gate):
                if time.monotonic() > deadline:
                    os._exit(99)
                time.sleep(0.0005)
        try:
            main(request["args"], prog_name="polku")  # noqa: F821  (imported by serve)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    global main
    from polku.cli import main  # the import every command would pay, paid once

    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "ping":
            reply: dict = {"ok": True}
        elif request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                _child(request)
            reply = {"pid": pid}
        else:
            _pid, status = os.waitpid(request["pid"], 0)
            reply = {"status": os.waitstatus_to_exitcode(status)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    serve()

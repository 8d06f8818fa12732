"""A real IMAP server for the tests: Debian's Dovecot, a temporary directory, 127.0.0.1 only, plain login
(any user name with the one test password: each test has its own mailbox).

Dovecot runs in the foreground (`dovecot -F -c <our config>`) in its own process group and is stopped by its
id. As root (CI) its helper processes run as Debian's `dovecot` and `dovenull` users and the mailboxes belong
to `dovecot`; as another user everything runs as that user. Tests put delivery-status notifications in a
mailbox with IMAP APPEND, as a mail server delivering them would.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import tempfile
import time
from pathlib import Path

from tests.processes import Background, free_port

PASSWORD = "bounce-test-password"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


class DovecotServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="weaver-dovecot-"))
        self.port = free_port()
        self.users: list[str] = []
        self._proc: Background | None = None
        if os.geteuid() == 0:
            self.internal, self.login = "dovecot", "dovenull"
        else:
            self.internal = self.login = pwd.getpwuid(os.geteuid()).pw_name
        self.owner = pwd.getpwnam(self.internal)

    def start(self) -> DovecotServer:
        root = self.root
        os.chmod(root, 0o755)  # Dovecot's helpers (another user, as root) read the config and the users here
        (root / "mail").mkdir()
        os.chown(root / "mail", self.owner.pw_uid, self.owner.pw_gid)
        (root / "dovecot.conf").write_text(
            f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = {self.internal}
default_login_user = {self.login}
first_valid_uid = 1
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={self.owner.pw_uid} gid={self.owner.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""",
            encoding="utf-8",
        )
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        self._proc = Background([self.binary, "-F", "-c", str(root / "dovecot.conf")], env, root / "stdout.log")
        self._proc.wait_for(self._listening, "dovecot", timeout=60)
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                return conn.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def add_user(self, user: str) -> str:
        """A new mailbox user (a fresh mailbox per test): any name logs in with PASSWORD (a static passdb)."""
        self.users.append(user)
        return user

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver one message into the user's folder (IMAP APPEND, as the mail server's delivery would)."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            conn.login(user, PASSWORD)
            if folder != "INBOX":
                conn.create(folder)
            status, detail = conn.append(folder, None, None, raw)
            assert status == "OK", detail
        finally:
            conn.logout()

    def count(self, user: str, criterion: str = "ALL", folder: str = "INBOX") -> int:
        """How many messages in the folder match (e.g. 'UNSEEN'): the tests check the mailbox is left as it was."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            conn.login(user, PASSWORD)
            conn.select(folder, readonly=True)
            _, data = conn.search(None, criterion)
            return len((data[0] or b"").split())
        finally:
            conn.logout()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.stop()
        for _ in range(3):
            shutil.rmtree(self.root, ignore_errors=True)
            if not self.root.exists():
                return
            time.sleep(0.2)

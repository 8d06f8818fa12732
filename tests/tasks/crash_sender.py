"""The sending process the crash test kills: `deliver` straight over SMTP, no Prefect (fast to start).

python -m tests.tasks.crash_sender DB_URL PORT COUNT [CONNECTIONS]
python -m tests.tasks.crash_sender DB_URL outbox:FOLDER COUNT      (the outbox backend instead of SMTP)
"""

from __future__ import annotations

import sys
from pathlib import Path

from connectors.mail import MailTransport, Message, OutboxTransport, Sender, SmtpTransport
from tasks.common.delivery import deliver
from weaver.state import StateDB

SENDER = Sender("hello@weaving.example.org", "示范网络 Demo")


def messages(count: int) -> list[Message]:
    return [
        Message(
            f"crash:welcome:p-{i:03d}",
            f"p{i:03d}@example.org",
            f"成员 {i}",
            f"欢迎 {i}",
            f"你好 {i}",
            f"<p>你好 {i}</p>",
            "zh",
            None,
            "welcome",
        )  # fmt: skip
        for i in range(count)
    ]


def main(url: str, port: str, count: int, connections: int = 1) -> None:
    transport: MailTransport
    if port.startswith("outbox:"):
        transport = OutboxTransport(Path(port.removeprefix("outbox:")), SENDER)
    else:
        transport = SmtpTransport("127.0.0.1", int(port), SENDER, security="none", timeout=10, connections=connections)
    summary = deliver(messages(count), transport, StateDB(url), "crash-test").summary()
    print(summary, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1)

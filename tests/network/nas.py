"""A small NAS on loopback that answers CoA- and Disconnect-Requests, for tests."""

from __future__ import annotations

import socket
import threading

from pyrad import packet
from pyrad.dictionary import Dictionary

from backhaul.network.services import DICTIONARY


class FakeNas:
    def __init__(self, secret: bytes = b"nas-secret") -> None:
        self.secret = secret
        self.dictionary = Dictionary(str(DICTIONARY))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[dict[str, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeNas:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            request = packet.CoAPacket(packet=data, secret=self.secret, dict=self.dictionary)
            attributes = {key: request[key] for key in request.keys()}  # noqa: SIM118
            self.received.append({"code": request.code, **attributes})
            ack = packet.CoAACK if request.code == packet.CoARequest else packet.DisconnectACK
            # pyrad's CoAPacket.CreateReply passes `code` twice; build the reply directly.
            reply = packet.CoAPacket(
                code=ack,
                id=request.id,
                secret=self.secret,
                authenticator=request.authenticator,
                dict=self.dictionary,
            )
            self.sock.sendto(reply.ReplyPacket(), peer)

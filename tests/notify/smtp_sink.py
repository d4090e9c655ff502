#!/usr/bin/python3
"""A real SMTP server for the mail tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1:PORT and writes each accepted message to DIR as N.eml
(written to a temporary name, then renamed), with the envelope in N.json. Prints
"ready" once it accepts connections and runs until SIGTERM or SIGINT.

  --reply CODE     answer every DATA with CODE (e.g. 451 or 554) instead of 250;
                   the file DIR/reply, when present, overrides it for each message
  --auth U:P       require AUTH PLAIN/LOGIN with that user and password
  --tls-cert F --tls-key K   offer STARTTLS with that certificate
"""
import argparse
import json
import os
import signal
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, reply):
        self.directory = directory
        self.reply = reply
        self.count = 0

    def current_reply(self):
        path = os.path.join(self.directory, "reply")
        try:
            with open(path) as f:
                return f.read().strip() or self.reply
        except FileNotFoundError:
            return self.reply

    async def handle_DATA(self, server, session, envelope):
        reply = self.current_reply()
        if reply and not reply.startswith("250"):
            return reply if " " in reply else reply + " refused by the test server"
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "auth_user": (session.auth_data.login.decode()
                          if isinstance(session.auth_data, LoginPassword) else None),
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--reply", default="")
    p.add_argument("--auth", default="")
    p.add_argument("--tls-cert", default="")
    p.add_argument("--tls-key", default="")
    a = p.parse_args()
    warnings.simplefilter("ignore")  # aiosmtpd warns about AUTH without TLS: wanted here
    os.makedirs(a.dir, exist_ok=True)

    kwargs = {}
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and
                  auth_data.login.decode() == user and auth_data.password.decode() == password)
            return AuthResult(success=ok, auth_data=auth_data)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(a.tls_cert))
    if a.tls_cert:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        kwargs.update(tls_context=ctx, require_starttls=True)

    # Blocked before the server thread starts, so that only sigwait receives them.
    signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    controller = Controller(Sink(a.dir, a.reply), hostname="127.0.0.1", port=a.port, **kwargs)
    controller.start()
    print("ready", flush=True)
    signal.sigwait(signals)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A small call-centre application: it receives the platform's webhooks and acts through
its API. Written against ccsim (a stand-in for the 壹耘 / oneyun platform); the same code
talks to the real platform when given its base URL and credentials.

Two parts, both Python standard library only:

- `Receiver`: an HTTP server that accepts the platform's webhooks (one JSON object per
  POST), keeps them in arrival order, and on `callcenter.conversation.parts_changed` reads
  the conversation record (`GET {BASE}/callcenter/conversation/{id}`) to learn who is in
  the conversation, as the platform's docs tell an application to do. It answers every
  webhook with 200 only after it has done so.
- `Platform`: the application's actions through the platform API: create an extension,
  log an agent in, place a `call_out`, invite an agent into a conversation, dismiss it.
  With a secret it signs each request as the platform requires (HmacSHA256).

Run the receiver alone:  python3 callcenter_app.py --port 8080 --base http://127.0.0.1:8700/v1/account/demo
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "application/json;charset=UTF-8"


class PlatformError(Exception):
    """The platform refused an operation: its `code` (e.g. `040203`) and `msg`."""

    def __init__(self, code, msg, path):
        super().__init__(f"{path}: {code} {msg}")
        self.code = code
        self.msg = msg


class Platform:
    """The platform API, as an application calls it.

    `base` is `{BASE_URL}`, e.g. `http://127.0.0.1:8700/v1/account/demo`. Every answer is
    the envelope `{"code","msg","data"}`; a code other than `000000` raises
    `PlatformError`, and `data` is returned otherwise.
    """

    def __init__(self, base, secret=None, app_id="ccsim-app", cert_id="ccsim-cert",
                 tz_hours=8, timeout=10):
        self.base = base.rstrip("/")
        self.secret = secret
        self.app_id = app_id
        self.cert_id = cert_id
        self.tz = datetime.timezone(datetime.timedelta(hours=tz_hours))
        self.timeout = timeout

    # --- the actions ---------------------------------------------------------------

    def create_extension(self, user, password="123456"):
        """A SIP extension (`type` 1, the only one the platform supports): returns its id."""
        data = self.call("POST", "/callcenter/extension",
                         {"type": 1, "user": user, "password": password})
        return data["id"]

    def login(self, name, extension, state="idle", skills=None):
        """Log an agent in on an extension, in the given state (`idle`: ready for calls)."""
        body = {"name": name, "extension": extension, "state": state}
        if skills is not None:
            body["skills"] = skills
        return self.call("POST", "/callcenter/agent", body)

    def set_state(self, name, state):
        """`busy/…`, `away/…` or `idle`."""
        return self.call("POST", f"/callcenter/agent/{name}/state", {"state": state})

    def call_out(self, agent, to, max_answer_seconds=3600, user_data=None):
        """The platform rings the agent's phone, then calls `to`; the conversation begins
        when `to` answers. The answer is `true` at once: what follows comes as webhooks."""
        body = {"to": to, "max_answer_seconds": max_answer_seconds}
        if user_data is not None:
            body["user_data"] = user_data
        return self.call("POST", f"/callcenter/agent/{agent}/call_out", body)

    def invite_agent(self, conversation, agent, mode=1):
        """Ring a given agent (an `<enqueue>` with an agent route) and add it to the
        conversation when it answers."""
        enqueue = f'<enqueue><route><agent name="{agent}"/></route></enqueue>'
        return self.call("POST", f"/callcenter/conversation/{conversation}/invite_agent",
                         {"enqueue": enqueue, "mode": mode})

    def dismiss(self, conversation):
        """End the conversation for everyone in it."""
        return self.call("DELETE", f"/callcenter/conversation/{conversation}")

    def conversation(self, conversation):
        """The conversation record: type, times and `members` (who joined, who left)."""
        return self.call("GET", f"/callcenter/conversation/{conversation}")

    def agent(self, name):
        """An agent: its state, extension, skills."""
        return self.call("GET", f"/callcenter/agent/{name}")

    # --- the transport ---------------------------------------------------------------

    def call(self, method, path, body=None):
        """One request; returns the envelope's `data` or raises `PlatformError`."""
        url = self.base + path
        raw = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=raw, method=method)
        if raw is not None:
            request.add_header("Content-Type", CONTENT_TYPE)
        for name, value in self.sign(method, urllib.parse.urlsplit(url).path, raw).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                envelope = json.load(answer)
        except urllib.error.HTTPError as e:
            # An unknown path (404) or method (405) still answers the envelope; a failed
            # signature (401) answers plain text and is raised as it is.
            try:
                envelope = json.loads(e.read())
            except ValueError:
                raise e from None
            raise PlatformError(envelope.get("code"), f"HTTP {e.code} {envelope.get('msg')}",
                                f"{method} {path}") from None
        if envelope.get("code") != "000000":
            raise PlatformError(envelope.get("code"), envelope.get("msg"), f"{method} {path}")
        return envelope.get("data")

    def sign(self, method, uri, raw):
        """The platform's four authentication headers, or none without a secret:
        Signature = Base64(HmacSHA256(secret, METHOD\\nMD5\\nCONTENT_TYPE\\nTIMESTAMP\\nAPPID\\nURI)),
        where MD5 (of the body, lowercase hex) and CONTENT_TYPE are empty for GET and DELETE
        and URI is the path without its query."""
        if not self.secret:
            return {}
        timestamp = datetime.datetime.now(self.tz).strftime("%Y%m%d%H%M%S")
        has_body = method in ("POST", "PUT")
        md5 = hashlib.md5(raw or b"").hexdigest() if has_body else ""
        content_type = CONTENT_TYPE if has_body else ""
        text = "\n".join([method, md5, content_type, timestamp, self.app_id, uri])
        digest = hmac.new(self.secret.encode(), text.encode(), hashlib.sha256).digest()
        return {"AppID": self.app_id, "CertID": self.cert_id, "Timestamp": timestamp,
                "Signature": base64.b64encode(digest).decode()}


class Receiver:
    """Receives webhooks on `127.0.0.1:port` (0: any free port; see `.port`).

    `webhooks` lists what arrived, in order: `{"id": webhook-id header, "payload": {…}}`
    (the id is `None` unless ccsim signs its webhooks, `--secret`; the platform does not),
    and for `parts_changed` also `"members"`: the record's members as read while handling
    it (`None` if the read failed). Safe to read from another thread through `snapshot()`.
    """

    def __init__(self, platform, port=0, host="127.0.0.1", log=None):
        self.platform = platform
        self.log = log
        self.webhooks = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.port = self.server.server_address[1]

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self):
        with self.lock:
            return list(self.webhooks)

    def handle(self, webhook_id, payload):
        """What the application does with one webhook, before it answers 200."""
        entry = {"id": webhook_id, "payload": payload}
        if payload.get("event") == "callcenter.conversation.parts_changed":
            # The event says only "the members changed": ask who they are now.
            try:
                entry["members"] = self.platform.conversation(payload["id"])["members"]
            except (OSError, PlatformError, KeyError, TypeError) as e:
                entry["members"] = None
                entry["error"] = str(e)
        with self.lock:
            self.webhooks.append(entry)
        if self.log:
            self.log(entry)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length))
                except ValueError:
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                receiver.handle(self.headers.get("webhook-id"), payload)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass  # quiet: the application logs what it received instead

        return Handler


def main():
    parser = argparse.ArgumentParser(description="Receive the platform's webhooks and "
                                     "read the record of every conversation that changes.")
    parser.add_argument("--port", type=int, required=True, help="where webhooks arrive")
    parser.add_argument("--base", default="http://127.0.0.1:8700/v1/account/demo",
                        help="the platform API's {BASE_URL}")
    parser.add_argument("--secret", help="sign API requests with this secret")
    args = parser.parse_args()

    def log(entry):
        line = json.dumps(entry["payload"], ensure_ascii=False)
        if "members" in entry:
            line += "\n  members: " + json.dumps(entry["members"], ensure_ascii=False)
        print(line, flush=True)

    receiver = Receiver(Platform(args.base, secret=args.secret), args.port, log=log).start()
    print(f"receiving webhooks on http://127.0.0.1:{receiver.port}/", file=sys.stderr)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":
    main()

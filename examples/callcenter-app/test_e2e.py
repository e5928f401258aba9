#!/usr/bin/env python3
"""End-to-end test of the example application against `ccsim serve --clock manual`.

ccsim plays the platform: it serves the API the application calls and sends the webhooks
its receiver gets. Its clock moves only when this test says (`POST /__ccsim/clock/advance`),
so every step is deterministic and nothing sleeps. The test:

1. starts the application's receiver, then ccsim with `--target` pointing at it;
2. sets up the platform through its API: two extensions, agents 1001 and 1002 logged in
   `idle`;
3. has 1001 call a customer whose number ends in `0003` (ccsim's phones: answers after 2 s,
   never hangs up by itself), tells 1001's phone to answer, and steps the clock until the
   conversation begins; reads the record;
4. invites 1002 into it, tells 1002's phone to answer, steps on; reads the record;
5. dismisses the conversation and steps until it ends;
6. asserts the exact webhooks received, as the application saw them (with the members it
   read on each `parts_changed`) and as ccsim's journal (`GET /__ccsim/journal`) lists them.

Run: CCSIM_BIN=path/to/ccsim python3 test_e2e.py   (default: `ccsim` on PATH)
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callcenter_app import Platform, PlatformError, Receiver  # noqa: E402

CCSIM = os.environ.get("CCSIM_BIN", "ccsim")
STARTUP_LIMIT = 30  # seconds for ccsim to start answering (a bound, not a measurement)
HTTP_TIMEOUT = 30  # seconds for any one request to ccsim
STEP = "1s"  # how far the clock moves per step
MAX_STEPS = 120  # steps before giving up on an awaited event (2 simulated minutes)
CUSTOMER = "13800000003"  # ends in 0003: answers after 2 s and stays on the line

CONV = "callcenter.conversation."
AGENT = "callcenter.agent."
QUEUE = "callcenter.queue."


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Control:
    """ccsim's test-control API (`/__ccsim/`), which the application never calls."""

    def __init__(self, root):
        self.root = root

    def request(self, method, path, body=None, ok=(200,)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.root + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            if e.code in ok:
                return e.code, json.loads(text) if text else {}
            raise AssertionError(f"{method} {path} -> {e.code} {text}") from None

    def clock(self):
        return self.request("GET", "/__ccsim/clock")[1]

    def advance(self, by=STEP):
        """Move the simulated clock; answers once everything due by then was delivered."""
        return self.request("POST", "/__ccsim/clock/advance", {"by": by})[1]

    def phone(self, **what):
        """Tell a phone what to do: phone(agent="1001", do="answer")."""
        return self.request("POST", "/__ccsim/phone", what)[1]

    def journal(self, **filters):
        """Every event sent so far that matches, oldest first (all pages)."""
        events, after = [], filters.pop("after", 0)
        while True:
            query = urllib.parse.urlencode({**filters, "after": after, "limit": 1000})
            page = self.request("GET", f"/__ccsim/journal?{query}")[1]
            events += page["events"]
            after = page["next_after"]
            if not page["more"]:
                return events, after

    def mark(self):
        """The journal's latest `seq`: wait for what an action causes after this point."""
        return self.journal()[1]

    def wait(self, timeout="0s", **filters):
        """The first matching event after `after`, or None when none came in `timeout`."""
        query = urllib.parse.urlencode({**filters, "timeout": timeout})
        status, body = self.request("GET", f"/__ccsim/wait?{query}", ok=(200, 408))
        return body["event"] if status == 200 else None


def summary(payload):
    """The key fields of a webhook, for comparing sequences."""
    event = payload["event"]
    if event in (CONV + "begin", CONV + "end"):
        return (event, payload["id"], payload["type"]) + (
            (payload.get("end_reason"),) if event == CONV + "end" else ())
    if event == CONV + "parts_changed":
        return (event, payload["id"])
    if event == AGENT + "state_changed":
        return (event, payload["name"], f'{payload["previous_state"]}->{payload["latest_state"]}')
    if event == AGENT + "conversation_changed":
        return (event, payload["name"], payload["type"], payload["conversation_id"])
    if event.startswith(QUEUE):
        return (event, payload["type"], payload.get("agent_name"))
    return (event,)


def present(members):
    """Who is in the conversation now, by agent name or phone number."""
    return [m.get("name") or m.get("telnumber") for m in members if m["end_time"] is None]


class CallOutInviteDismiss(unittest.TestCase):
    def setUp(self):
        self.api_port = free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.platform = Platform(f"{self.api}/v1/account/demo", timeout=HTTP_TIMEOUT)
        self.app = Receiver(self.platform).start()
        self.addCleanup(self.app.stop)
        self.ctl = Control(self.api)
        self.stderr = tempfile.TemporaryFile()
        self.addCleanup(self.stderr.close)
        self.ccsim = subprocess.Popen(
            [CCSIM, "serve", "--clock", "manual", "--control",
             "--target", f"http://127.0.0.1:{self.app.port}/",
             "--api", f"127.0.0.1:{self.api_port}", "--seed", "1", "--events", "all",
             "--quiet"],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr)
        self.addCleanup(self.stop_ccsim)  # runs even when setUp fails, unlike tearDown
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            if self.ccsim.poll() is not None:
                self.fail(f"ccsim exited with {self.ccsim.returncode}:\n{self.output()}")
            try:
                self.assertEqual(self.ctl.clock()["mode"], "manual")
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.fail(f"ccsim did not answer within {STARTUP_LIMIT}s:\n{self.output()}")
                time.sleep(0.1)

    def stop_ccsim(self):
        self.ccsim.kill()
        self.ccsim.wait(timeout=30)

    def output(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def step_until(self, after, **filters):
        """Advance the clock a step at a time until an event matching `filters` after
        journal `seq` `after` has been delivered; returns it."""
        for _ in range(MAX_STEPS):
            event = self.ctl.wait(after=after, **filters)
            if event is not None:
                return event
            self.ctl.advance(STEP)
        self.fail(f"no event {filters} after {MAX_STEPS} steps of {STEP}; journal: "
                  f"{[summary(e['payload']) for e in self.ctl.journal()[0]]}\n"
                  f"ccsim's output:\n{self.output()}")

    def test_call_out_invite_dismiss(self):
        p, ctl = self.platform, self.ctl

        # Set the platform up, as the application does at start.
        ext1 = p.create_extension("100001")
        ext2 = p.create_extension("100002")
        p.login("1001", ext1, state="idle")
        p.login("1002", ext2, state="idle")
        self.assertEqual(p.agent("1001")["state"], "idle")

        # 1001 calls the customer; its own phone rings first: answer it.
        mark = ctl.mark()
        self.assertIs(p.call_out("1001", CUSTOMER), True)
        ctl.phone(agent="1001", do="answer")
        enter = self.step_until(mark, agent="1001", event=AGENT + "conversation_changed")
        conv = enter["payload"]["conversation_id"]
        begin = self.step_until(mark, conversation=conv, event=CONV + "begin")
        self.assertEqual(begin["payload"]["type"], "call_out")

        # The record agrees with the events: 1001 and the customer, both present.
        record = p.conversation(conv)
        self.assertEqual((record["id"], record["type"]), (conv, "call_out"))
        self.assertEqual(record["begin_time"] is not None, True)
        self.assertEqual(present(record["members"]), ["1001", CUSTOMER])
        self.assertEqual(record["members"][0]["extension_id"], ext1)

        # Invite 1002; its phone rings (it joins while ringing): answer it.
        mark = ctl.mark()
        self.assertIs(p.invite_agent(conv, "1002"), True)
        self.step_until(mark, agent="1002", event=AGENT + "conversation_changed")
        mark = ctl.mark()
        ctl.phone(agent="1002", do="answer")
        talking = self.step_until(mark, agent="1002", event=AGENT + "state_changed")
        self.assertEqual(talking["payload"]["latest_state"], "talking")
        self.assertEqual(present(p.conversation(conv)["members"]), ["1001", CUSTOMER, "1002"])

        # Dismiss: everyone leaves, the conversation ends.
        mark = ctl.mark()
        self.assertIs(p.dismiss(conv), True)
        self.step_until(mark, conversation=conv, event=CONV + "end")
        ctl.advance("1m")  # anything that follows the end (agents back to idle)
        record = p.conversation(conv)
        self.assertEqual(present(record["members"]), [])

        # The exact webhooks, in order.
        expected = [
            (AGENT + "state_changed", "1001", "idle->fetching"),
            (AGENT + "state_changed", "1001", "fetching->talking"),
            (AGENT + "conversation_changed", "1001", "enter", conv),
            (CONV + "parts_changed", conv),  # 1001 joined
            (CONV + "parts_changed", conv),  # the customer's phone rings: joined
            (CONV + "begin", conv, "call_out"),  # the customer answered
            (QUEUE + "select", "invite_agent", "1002"),
            (AGENT + "state_changed", "1002", "idle->fetching"),
            (AGENT + "conversation_changed", "1002", "enter", conv),
            (CONV + "parts_changed", conv),  # 1002's phone rings: joined
            (AGENT + "state_changed", "1002", "fetching->talking"),
            (QUEUE + "success", "invite_agent", "1002"),
            # dismissed: the conference is released, every member leaves with it
            # (leaving with the release sends no parts_changed), then the end
            (AGENT + "conversation_changed", "1001", "exit", conv),
            (AGENT + "state_changed", "1001", "talking->idle"),
            (AGENT + "conversation_changed", "1002", "exit", conv),
            (AGENT + "state_changed", "1002", "talking->idle"),
            (CONV + "end", conv, "call_out", "dismissed"),
        ]
        received = self.app.snapshot()
        journal = ctl.journal()[0]
        seen = [summary(w["payload"]) for w in received]
        self.assertEqual(seen, expected, "as the application received them")
        self.assertEqual([summary(e["payload"]) for e in journal], expected, "in the journal")
        # The same payloads, whole, in the same order.
        self.assertEqual([w["payload"] for w in received], [e["payload"] for e in journal])

        # What the application read on each parts_changed: who was in the conversation.
        self.assertEqual(
            [present(w["members"]) for w in received if "members" in w],
            [["1001"], ["1001", CUSTOMER], ["1001", CUSTOMER, "1002"]])


class SignedRequests(unittest.TestCase):
    """The application signs its requests when ccsim (like the platform) requires it."""

    def test_signed_read(self):
        port = free_port()
        env = dict(os.environ, CCSIM_API_SECRET="s3cret")
        ccsim = subprocess.Popen(
            [CCSIM, "serve", "--api", f"127.0.0.1:{port}", "--api-auth", "--seed", "1",
             "--quiet"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}/v1/account/demo"
            unsigned = Platform(base, timeout=HTTP_TIMEOUT)
            signed = Platform(base, secret="s3cret", timeout=HTTP_TIMEOUT)
            deadline = time.monotonic() + STARTUP_LIMIT
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
                    break
                except OSError:
                    self.assertIsNone(ccsim.poll(), "ccsim exited")
                    self.assertLess(time.monotonic(), deadline, "ccsim did not start")
                    time.sleep(0.1)
            with self.assertRaises(urllib.error.HTTPError) as refused:
                unsigned.conversation("0" * 32)
            self.assertEqual(refused.exception.code, 401)
            with self.assertRaises(PlatformError) as unknown:
                signed.conversation("0" * 32)
            self.assertEqual(unknown.exception.code, "040501")
        finally:
            ccsim.kill()
            ccsim.wait(timeout=30)


if __name__ == "__main__":
    unittest.main(verbosity=2)

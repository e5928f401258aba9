#!/usr/bin/env python3
"""Check ccsim's webhook signatures with the official Python Standard Webhooks library.

Reads JSON lines from stdin, one object per line:

    {"secret": "whsec_...", "id": "msg_...", "timestamp": 1614265330,
     "body": "<the request body as text>", "signature": "v1,... v1,..."}

and verifies each with ``standardwebhooks.webhooks.Webhook(secret).verify(...)``.
Prints "N passed, 0 failed" (or "N passed, M failed") and exits non-zero on any
failure, on malformed input, or when there is no input at all. Failures name the line
and the message id, never the secret. Blank lines are skipped.

The official library rejects timestamps more than five minutes from its clock. This
script checks signatures, not freshness, so it pins the library's clock to each
message's own timestamp; old test vectors (like the spec's) verify too. Everything
else — secret decoding, the signed content, signature parsing and comparison — is the
library's own code.

Needs ``pip install standardwebhooks``. The Rust tests in tests/it/delivery/signing.rs
pipe requests captured from real runs (and the spec's test vector) through this script,
with the interpreter named by ``CCSIM_PYTHON``; ``.ci/run`` installs the library and sets
it.
"""

import json
import sys
from datetime import datetime, timezone
from unittest import mock

try:
    from standardwebhooks import webhooks
    from standardwebhooks.webhooks import Webhook
except ImportError as e:
    print(f"cannot import the standardwebhooks package ({e}); run: pip install standardwebhooks",
          file=sys.stderr)
    sys.exit(2)


def pinned_clock(timestamp_s):
    """A datetime class whose now() is the given Unix time, for the library's module."""

    class PinnedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(timestamp_s, tz=tz or timezone.utc)

    return PinnedDatetime


def verify_line(obj):
    """Raises if the line is malformed or its signature does not verify."""
    secret, msg_id, timestamp, body, signature = (
        obj[k] for k in ("secret", "id", "timestamp", "body", "signature"))
    if not isinstance(timestamp, int):
        raise ValueError(f"timestamp must be an integer, got {type(timestamp).__name__}")
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
    with mock.patch.object(webhooks, "datetime", pinned_clock(timestamp)):
        Webhook(secret).verify(body.encode("utf-8"), headers, json_parse=False)


def main():
    passed = failed = 0
    for lineno, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        msg_id = "?"
        try:
            obj = json.loads(line)
            msg_id = obj.get("id", "?") if isinstance(obj, dict) else "?"
            verify_line(obj)
        except Exception as e:  # report every failure, keep going
            failed += 1
            print(f"line {lineno} (id {msg_id!r}): {type(e).__name__}: {e}", file=sys.stderr)
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    if passed + failed == 0:
        print("no input: expected JSON lines with secret, id, timestamp, body, signature",
              file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Parses a mail file with Python's email package (an independent RFC 5322/MIME
reader) and prints what a mail client would show, as JSON: the decoded headers,
the list of header names, the text and HTML parts, and the parser's defects."""
import json
import sys
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

with open(sys.argv[1], "rb") as f:
    msg = BytesParser(policy=policy.default).parse(f)

out = {
    "header_names": [k for k in msg.keys()],
    "subject": str(msg["Subject"]),
    "date": str(msg["Date"]),
    "message_id": str(msg["Message-ID"]),
    "from_name": msg["From"].addresses[0].display_name,
    "from_addr": msg["From"].addresses[0].addr_spec,
    "to_name": msg["To"].addresses[0].display_name,
    "to_addr": msg["To"].addresses[0].addr_spec,
    "to_count": len(msg["To"].addresses),
    "content_type": msg.get_content_type(),
    "text": "",
    "html": "",
    "defects": [type(d).__name__ for d in msg.defects],
}
for part in msg.walk():
    for d in part.defects:
        out["defects"].append(type(d).__name__)
    if part.get_content_type() == "text/plain":
        out["text"] = part.get_content()
    elif part.get_content_type() == "text/html":
        out["html"] = part.get_content()
print(json.dumps(out))

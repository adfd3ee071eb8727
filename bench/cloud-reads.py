#!/usr/bin/env python3
"""A CloudTrail file of N S3 GetObject data events, each for its own object key: the shape of bulk theft from a bucket,
and a memory stress for the campaign context (every record has a distinct target). The calls come from 65,536 source
addresses in turn (3.92.x.y), or from ADDRESSES of them (3.0.0.0 on): N for a theft through a rotating pool of proxies,
every call from its own address. With --records the calls are written as CloudTrail delivers them, one
{"Records":[...]} object on one line (a big export, or a consolidated delivery), instead of one JSON line each. With
--sessions every call is made by its own role session (an agent minting a session per call): N identities.

usage: cloud-reads.py [--records] [--sessions] OUT_FILE N [ADDRESSES]
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    args = sys.argv[1:]
    records = "--records" in args
    sessions = "--sessions" in args
    args = [a for a in args if a not in ("--records", "--sessions")]
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    out, n = args[0], int(args[1])
    pool = int(args[2]) if len(args) == 3 else 0

    def address(i: int) -> str:
        if pool == 0:
            return f"3.92.{(i >> 8) & 255}.{i & 255}"
        a = i % pool
        return f"{3 + (a >> 24)}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"

    start = datetime(2026, 3, 10, 1, 0, 0, tzinfo=timezone.utc)
    arn = "arn:aws:sts::993371209645:assumed-role/backup-sync/i-09c164c98302d6e2e"
    with open(out, "w", encoding="utf-8") as h:
        if records:
            h.write('{"Records":[')
        for i in range(n):
            t = start + timedelta(milliseconds=40 * i)
            if records and i > 0:
                h.write(",")
            h.write(json.dumps({
                "eventVersion": "1.09",
                "userIdentity": {"type": "AssumedRole", "arn": f"{arn}-{i}" if sessions else arn, "accountId": "993371209645"},
                "eventTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "eu-central-1",
                "sourceIPAddress": address(i),
                "userAgent": "aws-cli/2.15.0",
                "requestParameters": {"bucketName": "customer-payments", "key": f"exports/2026/03/{i:08d}/statement-{i * 7919 % 1000003:07d}.csv"},
                "additionalEventData": {"bytesTransferredOut": 20000 + i % 5000},
                "eventID": f"{i:08x}-1111-2222-3333-444455556666", "eventType": "AwsApiCall",
            }, separators=(",", ":")) + ("" if records else "\n"))
        if records:
            h.write("]}\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A CloudTrail bucket copied to disk: N gzipped delivery files ({"Records":[...]} on one line) of RECORDS S3 GetObject
calls each, laid out as AWS writes them (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/), FILES_PER_DAY to a day folder
(288: one every five minutes). A stress for finding and opening many small files.

usage: cloudtrail-files.py OUT_DIR N [RECORDS [FILES_PER_DAY]]
"""
import gzip
import json
import os
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    if len(sys.argv) not in (3, 4, 5):
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    records = int(sys.argv[3]) if len(sys.argv) >= 4 else 5
    per_day = int(sys.argv[4]) if len(sys.argv) == 5 else 288
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for k in range(n):
        day = start + timedelta(days=k // per_day)
        t0 = day + timedelta(seconds=(k % per_day) * 86400 // per_day)
        folder = os.path.join(out, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", day.strftime("%Y/%m/%d"))
        os.makedirs(folder, exist_ok=True)
        recs = []
        for j in range(records):
            i = k * records + j
            recs.append({
                "eventVersion": "1.08",
                "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::123456789012:user/u{i % 40}", "userName": f"u{i % 40}"},
                "eventTime": (t0 + timedelta(seconds=j)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
                "sourceIPAddress": f"3.92.{(i >> 8) & 255}.{i & 255}",
                "requestParameters": {"bucketName": "customer-data", "key": f"obj/{i}.csv"},
                "eventID": f"{i:08x}-0000-4000-8000-000000000000", "eventType": "AwsApiCall",
            })
        name = f"123456789012_CloudTrail_us-east-1_{t0.strftime('%Y%m%dT%H%MZ')}_{k:08x}.json.gz"
        with gzip.open(os.path.join(folder, name), "wt", encoding="utf-8") as h:
            json.dump({"Records": recs}, h, separators=(",", ":"))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""N explicit-credential logons (Security 4648) from 2,000 workstations to 200 servers over a day: scheduled jobs, runas
and admin tools using stored credentials, as file and application servers log them by the million. No logon on the
servers answers them (their logs are not in the input), so each one is a possible movement the lateral linker keeps.
A memory stress for the campaign build.

usage: explicit-logons.py OUT_FILE N
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    start = datetime(2026, 3, 10, 0, 0, 0, tzinfo=timezone.utc)
    step = 86_400_000 / max(n, 1)   # milliseconds between events: the whole day
    tools = ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\System32\\runas.exe", "C:\\Windows\\System32\\net.exe",
             "C:\\Windows\\System32\\wbem\\WMIC.exe", "C:\\Windows\\System32\\taskhostw.exe")
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            t = start + timedelta(milliseconds=int(i * step))
            ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
            ws = (i * 7919) % 2_000
            ev = {
                "@timestamp": ts, "TimeCreated": ts, "EventID": 4648, "EventRecordID": 2_000_000 + i, "Channel": "Security",
                "Computer": f"WS{ws:04d}.corp.example", "Provider_Name": "Microsoft-Windows-Security-Auditing",
                "SubjectUserSid": "S-1-5-21-1-2-3-1104", "SubjectUserName": f"user{ws:04d}", "SubjectDomainName": "CORP",
                "SubjectLogonId": f"0x{0x100000 + ws * 16 + (i // 2_000) % 16:x}",
                "TargetUserName": f"svc_job{i % 40:02d}", "TargetDomainName": "CORP",
                "TargetServerName": f"SRV{(i * 31) % 200:03d}.corp.example", "TargetInfo": f"SRV{(i * 31) % 200:03d}.corp.example",
                "ProcessId": f"0x{0x400 + i % 4000:x}", "ProcessName": tools[i % len(tools)],
                "IpAddress": "-", "IpPort": "-",
            }
            h.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

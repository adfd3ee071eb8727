#!/usr/bin/env python3
"""An agent archiving every customer file on its own: one host's N 7-Zip runs (Sysmon 1) 10 ms apart, each packing one
export with a password into its own archive (a distinct command line each), under one cmd.exe. Each is a detection of
several rules (collection, exfiltration staging) and a theft step: the stress for the theft finder's export and archive
steps (a dictionary per command, and each process compared with every step, before 2026-11-28).

usage: archive-flood.py OUT_FILE N
"""
import json, sys
from datetime import datetime, timedelta, timezone
if len(sys.argv) != 3:
    sys.exit(__doc__)
out, n = sys.argv[1], int(sys.argv[2])
t = datetime(2026, 3, 10, 2, 0, 0, tzinfo=timezone.utc)
host, user = "DB-PAY01.corp.example", "CORP\\svc-backup"
def ts(x): return x.strftime("%Y-%m-%d %H:%M:%S.") + f"{x.microsecond // 1000:03d}"
common = {"Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon", "Hostname": host, "User": user}
with open(out, "w") as h:
    for i in range(n):
        t += timedelta(milliseconds=10)
        ev = dict(common, EventID=1, TimeCreated=ts(t), UtcTime=ts(t), EventRecordID=1 + i,
                  ProcessGuid="{6f1c2a10-0000-6000-b000-%012d}" % (i + 10), ProcessId=str(5000 + i),
                  Image="C:\\Program Files\\7-Zip\\7z.exe", OriginalFileName="7z.exe",
                  CommandLine=f"7z.exe a -pS3cret -mhe=on C:\\ProgramData\\p{i}.7z D:\\exports\\customers_{i}.csv",
                  ParentProcessGuid="{6f1c2a10-0000-6000-b000-000000000001}", ParentProcessId="4100",
                  ParentImage="C:\\Windows\\System32\\cmd.exe", ParentCommandLine="cmd.exe", IntegrityLevel="High")
        h.write(json.dumps(ev, separators=(",", ":")) + "\n")

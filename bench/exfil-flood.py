#!/usr/bin/env python3
"""An upload in N pieces: one host runs rclone, which opens N outbound connections (Sysmon 3) to DESTS public addresses
(a chunked upload through a pool of cloud endpoints), each a detection of the built-in "Data Transfer Tool Connects to a
Public Address" (exfiltration). Before it, 7-Zip packs a password-protected archive (a staging step). One campaign whose
theft finder meets N exfiltration detections: the memory stress for its uploads by destination.

usage: exfil-flood.py OUT_FILE N [DESTS]     (DESTS: 4 by default)
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    dests = int(sys.argv[3]) if len(sys.argv) == 4 else 4
    t = datetime(2026, 3, 10, 2, 0, 0, tzinfo=timezone.utc)
    host, user = "DB-PAY01.corp.example", "CORP\\svc-backup"

    def ts(x: datetime) -> str:
        return x.strftime("%Y-%m-%d %H:%M:%S.") + f"{x.microsecond // 1000:03d}"

    common = {"Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon", "Hostname": host,
              "User": user}
    with open(out, "w", encoding="utf-8") as h:
        archive = dict(common, EventID=1, TimeCreated=ts(t), UtcTime=ts(t), EventRecordID=1,
                       ProcessGuid="{6f1c2a10-0000-6000-b000-000000000001}", ProcessId="4100",
                       Image="C:\\Program Files\\7-Zip\\7z.exe", OriginalFileName="7z.exe",
                       CommandLine="7z.exe a -pS3cret -mhe=on C:\\ProgramData\\p.7z D:\\exports\\payments.csv",
                       ParentImage="C:\\Windows\\System32\\cmd.exe", ParentCommandLine="cmd.exe", IntegrityLevel="High")
        h.write(json.dumps(archive, separators=(",", ":")) + "\n")
        for i in range(n):
            t += timedelta(milliseconds=5)
            d = i % dests
            ev = dict(common, EventID=3, TimeCreated=ts(t), UtcTime=ts(t), EventRecordID=2 + i,
                      ProcessGuid="{6f1c2a10-0000-6000-b000-000000000002}", ProcessId="4200",
                      Image="C:\\ProgramData\\rclone\\rclone.exe", Protocol="tcp", Initiated="true",
                      SourceIp="10.20.1.15", SourcePort=str(49152 + i % 16000),
                      DestinationIp=f"{52 + (d >> 16) % 100}.{(d >> 8) & 255}.{d & 255}.{10 + i % 7}" if dests > 4 else f"52.219.{d}.17",
                      DestinationPort="443")
            h.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

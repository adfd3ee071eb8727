#!/usr/bin/env python3
"""A fleet's Sysmon day: N events from HOSTS endpoints (Sysmon 1 process creations and Sysmon 3 connections to a file
server on 445, each host from its own address), one host in twenty running discovery commands (`whoami /all`,
`net group "domain admins" /domain`) that built-in and SigmaHQ rules detect, so there are detections and campaigns on
thousands of hosts. A memory stress for what the hunt and the campaign build keep per host: a month of a 500K-endpoint
estate's logs names that many computers.

usage: fleet.py OUT_FILE N HOSTS
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    out, n, hosts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    start = datetime(2026, 3, 10, 0, 0, 0, tzinfo=timezone.utc)
    step = 86_400_000 / max(n, 1)
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            t = start + timedelta(milliseconds=int(i * step))
            ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
            k = (i * 7919) % hosts
            name = f"EP{k:07d}.corp.example"
            addr = f"10.{64 + (k >> 16)}.{(k >> 8) & 255}.{k & 255}"
            guid = f"{{5a1b{k & 0xffff:04x}-{i >> 16 & 0xffff:04x}-{i & 0xffff:04x}-0000-{k:012x}}}"
            base = {"@timestamp": ts, "TimeCreated": ts, "EventRecordID": i + 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                    "Computer": name, "Provider_Name": "Microsoft-Windows-Sysmon", "UtcTime": ts.replace("T", " ")[:-1],
                    "ProcessGuid": guid, "ProcessId": str(1000 + i % 60000), "User": f"CORP\\u{k % 90000:05d}"}
            if i % 2 == 0:
                cmd, image = "C:\\Windows\\System32\\svchost.exe -k netsvcs", "C:\\Windows\\System32\\svchost.exe"
                if k % 20 == 3:
                    cmd, image = (("whoami /all", "C:\\Windows\\System32\\whoami.exe") if i % 4 == 0 else
                                  ('net group "domain admins" /domain', "C:\\Windows\\System32\\net.exe"))
                base.update({"EventID": 1, "Image": image, "CommandLine": cmd, "OriginalFileName": image.rsplit("\\", 1)[1],
                             "ParentProcessGuid": f"{{5a1b0000-0000-0000-0001-{k:012x}}}", "ParentProcessId": "900",
                             "ParentImage": "C:\\Windows\\explorer.exe", "ParentCommandLine": "C:\\Windows\\explorer.exe",
                             "IntegrityLevel": "Medium", "LogonId": f"0x{0x30000 + k:x}"})
            else:
                base.update({"EventID": 3, "Image": "C:\\Windows\\System32\\svchost.exe", "Protocol": "tcp", "Initiated": "true",
                             "SourceIp": addr, "SourceHostname": name, "SourcePort": str(49152 + i % 16000),
                             "DestinationIp": "10.10.10.20", "DestinationHostname": "FS01.corp.example", "DestinationPort": "445"})
            h.write(json.dumps(base, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

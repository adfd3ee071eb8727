#!/usr/bin/env python3
"""One machine-speed agent on one host running N discovery commands (Sysmon process creations, EventID 1), all children
of one agent process: a single campaign of ~N detections and N processes. The memory stress for one campaign's own
lists (detection ids, the operator analysis's commands): every other corpus spreads its detections over many campaigns.

Commands cycle through a dozen discovery tools with varying arguments (user names, addresses, share paths), one every
20 ms on average with jitter, and a 15-minute pause every 100,000 commands (a person approving the next phase).

usage: agent-flood.py OUT_FILE N
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

TOOLS = [
    ("C:\\Windows\\System32\\whoami.exe", "whoami.exe", "whoami /all"),
    ("C:\\Windows\\System32\\net.exe", "net.exe", "net user user{n:05d} /domain"),
    ("C:\\Windows\\System32\\net.exe", "net.exe", "net group \"Domain Admins\" /domain"),
    ("C:\\Windows\\System32\\nltest.exe", "nltestrk.exe", "nltest /dclist:corp.example"),
    ("C:\\Windows\\System32\\ipconfig.exe", "ipconfig.exe", "ipconfig /all"),
    ("C:\\Windows\\System32\\systeminfo.exe", "sysinfo.exe", "systeminfo"),
    ("C:\\Windows\\System32\\reg.exe", "reg.exe", "reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run{n}"),
    ("C:\\Windows\\System32\\tasklist.exe", "tasklist.exe", "tasklist /v /s 10.1.{a}.{b}"),
    ("C:\\Windows\\System32\\net.exe", "net.exe", "net view \\\\FS{n:04d}"),
    ("C:\\Windows\\System32\\cmd.exe", "Cmd.Exe", "cmd.exe /c dir \\\\FS{n:04d}\\c$\\Users"),
    ("C:\\Windows\\System32\\quser.exe", "quser.exe", "quser /server:10.1.{a}.{b}"),
    ("C:\\Windows\\System32\\arp.exe", "arp.exe", "arp -a"),
]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(7)
    t = datetime(2026, 3, 10, 0, 0, 0, tzinfo=timezone.utc)
    host, user, logon = "WS-AGENT01", "CORP\\svc-agent", "0x3e7a1"
    agent_guid = "{6f1c2a10-0000-6000-a000-000000000001}"
    agent_image = "C:\\ProgramData\\agent\\python.exe"
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            if i > 0 and i % 100_000 == 0:
                t += timedelta(minutes=15)
            t += timedelta(microseconds=int(rng.uniform(5_000, 35_000)))
            image, ofn, cmd = TOOLS[i % len(TOOLS)]
            cmd = cmd.format(n=rng.randrange(10_000), a=rng.randrange(256), b=rng.randrange(256))
            ts = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
            ev = {
                "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon",
                "Hostname": host, "TimeCreated": ts, "UtcTime": ts, "EventRecordID": 1_000 + i,
                "ProcessGuid": "{6f1c2a10-%04x-6000-b000-%012x}" % (i >> 32 & 0xFFFF, i & 0xFFFFFFFFFFFF),
                "ProcessId": str(4000 + i % 60000), "Image": image, "OriginalFileName": ofn, "CommandLine": cmd,
                "CurrentDirectory": "C:\\ProgramData\\agent\\", "User": user, "LogonId": logon,
                "LogonGuid": "{6f1c2a10-0000-6000-c000-000000000001}", "TerminalSessionId": "0", "IntegrityLevel": "High",
                "ParentProcessGuid": agent_guid, "ParentProcessId": "3120", "ParentImage": agent_image,
                "ParentCommandLine": agent_image + " agent.py --targets corp.example",
            }
            h.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

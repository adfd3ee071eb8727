#!/usr/bin/env python3
"""A domain controller's Security log of N logon events: network logons (4624, type 3) of 50,000 workstations' users and
machine accounts, failed logons (4625) with a password spray from a few external addresses among them, and special
privileges (4672) for admin logons. The shape of a real DC's busiest events, and a memory stress for the campaign
context (every logon is a record with its own logon id; a DC logs millions a day).

ADDRESSES (default: one IPv4 address per workstation) gives the workstations that many distinct addresses between them,
IPv6 unique-local ones (fd00::/8, internal), each workstation's logons coming from its addresses in turn: IPv6 privacy
addresses change daily, so a month of a large estate's logons names millions of them. A memory stress for which host an
address belongs to.

usage: dc-logons.py OUT_FILE N [ADDRESSES]
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    addresses = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    start = datetime(2026, 3, 10, 0, 0, 0, tzinfo=timezone.utc)
    step = 86_400_000 / max(n, 1)   # milliseconds between events: the whole day
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            t = start + timedelta(milliseconds=int(i * step))
            ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
            ws = (i * 7919) % 50_000
            addr = f"10.{20 + ws // 65536}.{(ws >> 8) & 255}.{ws & 255}"
            if addresses > 0:
                a = (i * 7919) % addresses   # address a belongs to workstation a % 50,000
                ws = a % 50_000
                addr = f"fd12:3456:789a:1:0:{(a >> 32) & 0xffff:x}:{(a >> 16) & 0xffff:x}:{a & 0xffff:x}"
            user, machine = f"user{ws:05d}", i % 3 == 0
            eid, extra = 4624, {}
            if i % 50 == 7:
                # A spray: one of three external addresses, a new account each time, bad password.
                eid = 4625
                addr = f"203.0.113.{(i // 50) % 3 + 10}"
                user = f"user{(i // 150) % 100_000:05d}"
                extra = {"Status": "0xc000006d", "SubStatus": "0xc000006a", "FailureReason": "%%2313"}
            elif i % 97 == 5:
                eid = 4672
            ev = {
                "@timestamp": ts, "TimeCreated": ts, "EventID": eid, "EventRecordID": 1_000_000 + i, "Channel": "Security",
                "Hostname": "DC01.corp.example", "Computer": "DC01.corp.example",
                "Provider_Name": "Microsoft-Windows-Security-Auditing",
                "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-", "SubjectLogonId": "0x0",
                "TargetUserName": f"WS{ws:05d}$" if machine and eid == 4624 else user, "TargetDomainName": "CORP",
                "TargetLogonId": f"0x{0x1000000 + i:x}", "LogonType": "3", "LogonProcessName": "Kerberos",
                "AuthenticationPackageName": "Kerberos", "WorkstationName": f"WS{ws:05d}" if eid != 4625 else "-",
                "ProcessId": "0x0", "ProcessName": "-", "IpAddress": addr, "IpPort": str(49152 + i % 16000),
            }
            if eid == 4672:
                ev = {"@timestamp": ts, "TimeCreated": ts, "EventID": 4672, "EventRecordID": 1_000_000 + i, "Channel": "Security",
                      "Hostname": "DC01.corp.example", "Computer": "DC01.corp.example",
                      "Provider_Name": "Microsoft-Windows-Security-Auditing", "SubjectUserName": f"adm-{ws % 40:02d}",
                      "SubjectDomainName": "CORP", "SubjectLogonId": f"0x{0x1000000 + i:x}",
                      "PrivilegeList": "SeSecurityPrivilege SeBackupPrivilege SeDebugPrivilege"}
            ev.update(extra)
            h.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A VPN gateway's Security log of N failed logons (4625, bad password) against one account, each from a different
external address: a distributed brute force from a botnet. SigmaHQ's failed-logon rules detect every event and the
campaign builder makes one campaign of them with N addresses. The stress for a campaign's own lists of addresses.

usage: distributed-bruteforce.py OUT_FILE N
"""
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    start = datetime(2026, 3, 10, tzinfo=timezone.utc)
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            t = start + timedelta(milliseconds=i * 50)
            ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
            addr = f"{45 + (i >> 16) % 100}.{(i >> 8) & 255}.{i & 255}.{(i * 7) % 250 + 1}"
            h.write('{"@timestamp":"%s","TimeCreated":"%s","EventID":4625,"EventRecordID":%d,"Channel":"Security",'
                    '"Computer":"VPN01.corp.example","Provider_Name":"Microsoft-Windows-Security-Auditing",'
                    '"SubjectUserSid":"S-1-0-0","SubjectUserName":"-","SubjectDomainName":"-","SubjectLogonId":"0x0",'
                    '"TargetUserName":"administrator","TargetDomainName":"CORP","Status":"0xc000006d",'
                    '"SubStatus":"0xc000006a","FailureReason":"%%%%2313","LogonType":"3","WorkstationName":"-",'
                    '"IpAddress":"%s","IpPort":"0"}\n' % (ts, ts, i + 1, addr))


if __name__ == "__main__":
    main()

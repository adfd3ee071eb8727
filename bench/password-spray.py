#!/usr/bin/env python3
"""A VPN gateway's Security log of N failed logons (4625, bad password) from one external address, each at a different
account: a password spray over a large directory. SigmaHQ's failed-logon rules detect every event and the campaign
builder makes one campaign of them with N accounts. The stress for a campaign's own list of accounts (the twin of
distributed-bruteforce.py, which stresses its addresses).

usage: password-spray.py OUT_FILE N
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
            # Every account once; every 7th spelled in capitals, as a directory's mixed spellings are.
            user = f"u{i:07d}.staff"
            if i % 7 == 0:
                user = user.upper()
            h.write('{"@timestamp":"%s","TimeCreated":"%s","EventID":4625,"EventRecordID":%d,"Channel":"Security",'
                    '"Computer":"VPN01.corp.example","Provider_Name":"Microsoft-Windows-Security-Auditing",'
                    '"SubjectUserSid":"S-1-0-0","SubjectUserName":"-","SubjectDomainName":"-","SubjectLogonId":"0x0",'
                    '"TargetUserName":"%s","TargetDomainName":"CORP","Status":"0xc000006d",'
                    '"SubStatus":"0xc000006a","FailureReason":"%%%%2313","LogonType":"3","WorkstationName":"-",'
                    '"IpAddress":"203.0.113.77","IpPort":"0"}\n' % (ts, ts, i + 1, user))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""One actor across a whole fleet: from ADM01 a script (one PowerShell process) runs `wmic /node:TARGET process call
create "cmd /c whoami /all"` against each of TARGETS endpoints in turn, one every 50 ms; each target logs the network
logon (Security 4624, type 3, from ADM01) and the command started by WmiPrvSE.exe in that logon session (Sysmon 1).
Three events per target. Every target is joined to the script's process tree through its lateral movement, so the
build makes one campaign of TARGETS + 1 hosts: a memory stress for what a campaign keeps per host (a worm or a
compromised deployment account reaching every endpoint).

usage: fleet-worm.py OUT_FILE TARGETS
"""
import json
import sys
from datetime import datetime, timedelta, timezone


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, targets = sys.argv[1], int(sys.argv[2])
    start = datetime(2026, 3, 10, 0, 0, 0, tzinfo=timezone.utc)

    def stamp(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    script = "{6f1c0000-0000-0000-0000-000000000001}"
    record = 0
    with open(out, "w", encoding="utf-8") as h:
        def write(event: dict) -> None:
            nonlocal record
            record += 1
            event["EventRecordID"] = record
            h.write(json.dumps(event, separators=(",", ":")) + "\n")

        t0 = start
        write({"@timestamp": stamp(t0), "TimeCreated": stamp(t0), "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
               "Computer": "ADM01.corp.example", "Provider_Name": "Microsoft-Windows-Sysmon", "ProcessGuid": script,
               "ProcessId": "4100", "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
               "CommandLine": "powershell.exe -ExecutionPolicy Bypass -File C:\\ProgramData\\d.ps1", "User": "CORP\\svc_deploy",
               "LogonId": "0x7a120", "ParentProcessGuid": "{6f1c0000-0000-0000-0000-000000000000}", "ParentProcessId": "900",
               "ParentImage": "C:\\Windows\\explorer.exe", "ParentCommandLine": "C:\\Windows\\explorer.exe", "IntegrityLevel": "High"})
        for k in range(targets):
            t = start + timedelta(milliseconds=50 * k + 100)
            name = f"EP{k:07d}"
            fqdn = f"{name}.corp.example"
            logon = f"0x{0x100000 + k:x}"
            write({"@timestamp": stamp(t), "TimeCreated": stamp(t), "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                   "Computer": "ADM01.corp.example", "Provider_Name": "Microsoft-Windows-Sysmon",
                   "ProcessGuid": f"{{6f1c0001-{k >> 16 & 0xffff:04x}-{k & 0xffff:04x}-0000-000000000000}}", "ProcessId": str(5000 + k % 50000),
                   "Image": "C:\\Windows\\System32\\wbem\\WMIC.exe",
                   "CommandLine": f"wmic /node:{name} process call create \"cmd.exe /c whoami /all\"", "User": "CORP\\svc_deploy",
                   "LogonId": "0x7a120", "ParentProcessGuid": script, "ParentProcessId": "4100",
                   "ParentImage": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                   "ParentCommandLine": "powershell.exe -ExecutionPolicy Bypass -File C:\\ProgramData\\d.ps1", "IntegrityLevel": "High"})
            t1 = t + timedelta(milliseconds=10)
            write({"@timestamp": stamp(t1), "TimeCreated": stamp(t1), "EventID": 4624, "Channel": "Security", "Computer": fqdn,
                   "Provider_Name": "Microsoft-Windows-Security-Auditing", "LogonType": "3", "TargetUserName": "svc_deploy",
                   "TargetDomainName": "CORP", "TargetLogonId": logon, "WorkstationName": "ADM01", "IpAddress": "10.0.0.5",
                   "IpPort": "50123", "LogonProcessName": "NtLmSsp", "AuthenticationPackageName": "NTLM",
                   "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-", "SubjectLogonId": "0x0"})
            t2 = t + timedelta(milliseconds=30)
            write({"@timestamp": stamp(t2), "TimeCreated": stamp(t2), "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                   "Computer": fqdn, "Provider_Name": "Microsoft-Windows-Sysmon",
                   "ProcessGuid": f"{{6f1c0002-{k >> 16 & 0xffff:04x}-{k & 0xffff:04x}-0000-000000000000}}", "ProcessId": "6100",
                   "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd.exe /c whoami /all", "User": "CORP\\svc_deploy",
                   "LogonId": logon, "ParentProcessGuid": f"{{6f1c0003-{k >> 16 & 0xffff:04x}-{k & 0xffff:04x}-0000-000000000000}}",
                   "ParentProcessId": "3100", "ParentImage": "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                   "ParentCommandLine": "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding", "IntegrityLevel": "High"})


if __name__ == "__main__":
    main()

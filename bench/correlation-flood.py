#!/usr/bin/env python3
"""One host's flood of matches inside one correlation window, and the correlations that never fire on it: a scanner
making N connections (Sysmon 3) 10 ms apart, each to a new destination address and source port. The rules file holds
one base rule and three correlations over it, grouped by host, with a one-day timespan:

- value_median of SourcePort above 1,000,000 (never): judged at every match over a growing window;
- temporal_ordered of the scan and a rule that never matches: the ordered search at every match;
- value_count of DestinationIp below 3 a day (a quiet-host check; the scanner passes it at its third address).

Before the windows kept their median in heaps and their ordered search as per-input starts, each judgment read every
member: quadratic in the flood. Before a consecutive value_count window gave up its values past an upper bound, it kept
every distinct address.

usage: correlation-flood.py OUT_DIR N      (writes OUT_DIR/flood.jsonl and OUT_DIR/rules.yml)
"""
import datetime
import os
import sys

RULES = """title: Scan connection
id: 6f0e2a4c-0000-4000-8000-000000000001
name: scan_conn
status: test
logsource: {product: windows, category: network_connection}
detection:
  sel: {Image|endswith: '\\\\scan.exe'}
  condition: sel
level: low
---
title: Never
id: 6f0e2a4c-0000-4000-8000-000000000002
name: never_conn
status: test
logsource: {product: windows, category: network_connection}
detection:
  sel: {Image|endswith: '\\\\never.exe'}
  condition: sel
level: low
---
title: Median source port above 1,000,000
id: 6f0e2a4c-0000-4000-8000-000000000003
status: test
correlation:
  type: value_median
  rules: [scan_conn]
  group-by: [Computer]
  timespan: 1d
  condition: {gt: 1000000, field: SourcePort}
level: high
---
title: Scan then never
id: 6f0e2a4c-0000-4000-8000-000000000004
status: test
correlation:
  type: temporal_ordered
  rules: [scan_conn, never_conn]
  group-by: [Computer]
  timespan: 1d
level: high
---
title: Fewer than 3 destinations a day
id: 6f0e2a4c-0000-4000-8000-000000000005
status: test
correlation:
  type: value_count
  rules: [scan_conn]
  group-by: [Computer]
  timespan: 1d
  condition: {lt: 3, field: DestinationIp}
level: high
"""


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "rules.yml"), "w") as f:
        f.write(RULES)
    t0 = datetime.datetime(2026, 3, 10)
    with open(os.path.join(out, "flood.jsonl"), "w") as f:
        for i in range(n):
            t = (t0 + datetime.timedelta(milliseconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            f.write('{"@timestamp":"%s","EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"scan1",'
                    '"Image":"C:\\\\Tools\\\\scan.exe","SourcePort":"%d","DestinationIp":"10.%d.%d.%d",'
                    '"DestinationPort":"445"}\n'
                    % (t, 1024 + (i * 7919) % 64000, (i >> 16) & 255, (i >> 8) & 255, i & 255))


if __name__ == "__main__":
    main()

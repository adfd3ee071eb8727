#!/usr/bin/env python3
"""A Zeek conn.log (JSON lines) of N refused connections from one host to 20 addresses, all within a few minutes: a
client hammering closed ports, or a scan held under the sweep threshold. Every connection feeds the built-in sweep
correlation (value_count of destinations per source, 25 within 5 minutes), which never fires: its window holds every
connection of the last five minutes. A memory stress for a correlation's open window.

usage: conn-flood.py OUT_FILE N [SECONDS]   (SECONDS: the span of the flood, 240 by default)
"""
import sys


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) == 4 else 240.0
    start = 1773100800.0
    step = seconds / max(n, 1)
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            dst = f"10.2.0.{i % 20 + 1}"
            h.write(f'{{"ts":{start + i * step:.6f},"uid":"C{i:017d}","id.orig_h":"10.1.0.66","id.orig_p":{1024 + i % 60000},'
                    f'"id.resp_h":"{dst}","id.resp_p":{1 + i % 1000},"proto":"tcp","duration":0.0,'
                    f'"orig_bytes":0,"resp_bytes":0,"conn_state":"REJ","local_orig":true,"local_resp":true,'
                    f'"missed_bytes":0,"history":"Sr","orig_pkts":1,"orig_ip_bytes":44,"resp_pkts":1,"resp_ip_bytes":40}}\n')


if __name__ == "__main__":
    main()

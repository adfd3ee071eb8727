#!/usr/bin/env python3
"""A Zeek conn.log (JSON lines) of N failed connections within a few minutes, every one an input of the built-in sweep
correlation (value_count of destinations per source, 25 within 5 minutes), which never fires. Two shapes:

- one source (default): one host refused N times by 20 addresses, a client hammering closed ports or a scan held under
  the threshold; the correlation's one window holds every connection of the last five minutes;
- SOURCES > 1: a SYN flood from SOURCES spoofed addresses at one server (unanswered, S0); the correlation has a group,
  and a window, per source seen in the last five minutes.

A memory stress for a correlation's open windows.

usage: conn-flood.py OUT_FILE N [SECONDS [SOURCES]]   (SECONDS: the span of the flood, 240 by default)
"""
import random
import sys


def main() -> None:
    if len(sys.argv) not in (3, 4, 5):
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) >= 4 else 240.0
    sources = int(sys.argv[4]) if len(sys.argv) == 5 else 1
    rng = random.Random(11)
    start = 1773100800.0
    step = seconds / max(n, 1)
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            if sources == 1:
                src, dst, state, history = "10.1.0.66", f"10.2.0.{i % 20 + 1}", "REJ", "Sr"
            else:
                s = rng.randrange(sources)
                src, dst, state, history = f"{11 + s % 200}.{(s >> 8) % 256}.{(s >> 16) % 256}.{s % 251 + 1}", "10.2.0.80", "S0", "S"
            h.write(f'{{"ts":{start + i * step:.6f},"uid":"C{i:017d}","id.orig_h":"{src}","id.orig_p":{1024 + i % 60000},'
                    f'"id.resp_h":"{dst}","id.resp_p":{1 + i % 1000},"proto":"tcp","duration":0.0,'
                    f'"orig_bytes":0,"resp_bytes":0,"conn_state":"{state}","local_orig":true,"local_resp":true,'
                    f'"missed_bytes":0,"history":"{history}","orig_pkts":1,"orig_ip_bytes":44,"resp_pkts":1,"resp_ip_bytes":40}}\n')


if __name__ == "__main__":
    main()

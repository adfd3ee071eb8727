#!/usr/bin/env python3
"""A Zeek conn.log (JSON lines) of N connections between 2,000 internal hosts and up to a million external addresses:
a large network's day, with about as many distinct (source, destination) pairs as connections. A memory stress for the
campaign context, which keeps a flow per pair.

usage: zeek-flows.py OUT_FILE N
"""
import random
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(7)
    start = 1773100800.0
    with open(out, "w", encoding="utf-8") as h:
        for i in range(n):
            src = f"10.1.{rng.randrange(8)}.{rng.randrange(1, 251)}"
            d = rng.randrange(1_000_000)
            dst = f"{23 + d % 150}.{(d >> 8) % 256}.{d % 256}.{(d * 7) % 254 + 1}"
            port = rng.choice((443, 443, 443, 80, 53, 8443, 22))
            state = rng.choice(("SF", "SF", "SF", "S0", "REJ"))
            h.write(f'{{"ts":{start + i * 0.02:.6f},"uid":"C{i:017d}","id.orig_h":"{src}","id.orig_p":{40000 + i % 20000},'
                    f'"id.resp_h":"{dst}","id.resp_p":{port},"proto":"tcp","service":"ssl","duration":0.5,'
                    f'"orig_bytes":{rng.randrange(100, 5000)},"resp_bytes":{rng.randrange(100, 50000)},"conn_state":"{state}",'
                    f'"local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":4,'
                    f'"orig_ip_bytes":1992,"resp_pkts":3,"resp_ip_bytes":1568}}\n')


if __name__ == "__main__":
    main()

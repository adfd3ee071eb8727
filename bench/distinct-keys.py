#!/usr/bin/env python3
"""JSON lines whose every line brings a field name never seen before: N process creations (4688), each with a label map
keyed by its own pod id ({"labels":{"pod-<128-bit hex>":"x"}}), as in Kubernetes audit logs or cloud resources' tag
maps. A memory stress for the field-name table: before it was bounded, every new name stayed interned for the run.

usage: distinct-keys.py OUT_FILE N
"""
import random
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    r = random.Random(7)
    with open(out, "w") as f:
        for i in range(n):
            pod = "%032x" % r.getrandbits(128)
            s = 10 + i // 1000
            f.write('{"EventID":4688,"Channel":"Security","Computer":"ws%d.corp.example",'
                    '"TimeCreated":"2026-11-01T%02d:%02d:%02d.%03dZ","EventRecordID":%d,'
                    '"NewProcessName":"C:\\\\Windows\\\\System32\\\\cmd.exe","CommandLine":"cmd.exe /c echo %d",'
                    '"labels":{"pod-%s":"x"}}\n'
                    % (i % 50, (s // 3600) % 24, (s // 60) % 60, s % 60, i % 1000, i, i, pod))


if __name__ == "__main__":
    main()

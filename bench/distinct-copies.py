#!/usr/bin/env python3
"""Copies JSON-lines logs K times with every copy's texts made its own: a memory stress corpus.

Plain copies (run-e2e.sh's OTRF x20) repeat every command line, host and process GUID, so stores that keep each distinct
text once stay small however many copies there are. Real estates are not like that: thousands of hosts, and command lines
with temp paths, GUIDs and timestamps in them. Here copy N gets:
  - host names (Hostname, Computer) with "-cN" after the first label;
  - process GUIDs with their first group mixed with N (the same process stays the same process inside a copy);
  - command lines and script blocks with " #cN" appended (a comment for cmd and PowerShell; rules that look at the
    start or inside the value still match).
Everything else (times, event ids, addresses) is as in the source, so every copy holds the same attacks.

usage: distinct-copies.py SRC_DIR OUT_DIR COPIES
       distinct-copies.py --lines IN_FILE OUT_FILE
The second form is the worst case for text stores: every line's command lines and script blocks get " #LN" (N its line
number), so no two events share one (hosts and GUIDs are kept: processes still link).
"""
import os
import re
import sys

HOST = re.compile(r'"(Hostname|Computer|host\.name)":"([^".\\"]+)')
GUID = re.compile(r'\{([0-9a-fA-F]{8})-')
TEXT = re.compile(r'("(?:CommandLine|ParentCommandLine|ScriptBlockText)":")((?:[^"\\]|\\.)*)"')


def copy_line(line: str, n: int) -> str:
    line = HOST.sub(lambda m: f'"{m.group(1)}":"{m.group(2)}-c{n}', line)
    line = GUID.sub(lambda m: "{%08x-" % ((int(m.group(1), 16) ^ (n * 0x9E3779B1)) & 0xFFFFFFFF), line)
    return TEXT.sub(lambda m: f'{m.group(1)}{m.group(2)} #c{n}"', line)


def distinct_lines(src: str, out: str) -> None:
    with open(src, encoding="utf-8") as h, open(out, "w", encoding="utf-8") as o:
        for n, line in enumerate(h, 1):
            o.write(TEXT.sub(lambda m: f'{m.group(1)}{m.group(2)} #L{n}"', line))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--lines":
        distinct_lines(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
    files = sorted(f for f in os.listdir(src) if f.endswith(".json"))
    if not files:
        sys.exit(f"{src}: no .json files")
    lines = {}
    for f in files:
        with open(os.path.join(src, f), encoding="utf-8") as h:
            lines[f] = h.read().splitlines()
    for n in range(1, copies + 1):
        d = os.path.join(out, f"copy{n}")
        os.makedirs(d, exist_ok=True)
        for f in files:
            with open(os.path.join(d, f), "w", encoding="utf-8") as h:
                h.writelines(copy_line(x, n) + "\n" for x in lines[f])


if __name__ == "__main__":
    main()

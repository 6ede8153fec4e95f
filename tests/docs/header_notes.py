#!/usr/bin/env python3
"""Every public declaration (TIGRESS_API) in include/tigress/ has its own doc comment with a
@note line (thread-safety, what NULL arguments do, who owns returned pointers) and a @since.
Usage: header_notes.py [SRC_DIR]. Exits non-zero and lists the declarations that lack them."""
import glob
import os
import re
import sys

DECL = re.compile(r"TIGRESS_API\s+(?:TIGRESS_WARN_UNUSED\s+)?[^;(]*?\b(tigress_\w+)\s*\(")


def main() -> int:
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    paths = sorted(glob.glob(os.path.join(src, "include/tigress/*.h")) +
                   glob.glob(os.path.join(src, "include/tigress/sys/*.h")))
    bad, n = [], 0
    for path in paths:
        text = open(path).read()
        for m in DECL.finditer(text):
            n += 1
            head = text[:m.start()].rstrip()
            comment = head[head.rfind("/**"):] if head.endswith("*/") else ""
            missing = [tag for tag in ("@note", "@since") if tag not in comment]
            if not comment or "*/" in comment[:-2]:
                missing = ["its own doc comment"]
            if missing:
                bad.append(f"{os.path.relpath(path, src)}: {m.group(1)} lacks {', '.join(missing)}")
    for b in bad:
        print("header-notes-check:", b)
    print(f"header-notes-check: {n - len(bad)} of {n} public declarations have @note and @since")
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

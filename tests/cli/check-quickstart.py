#!/usr/bin/env python3
"""The README quick start must be what `make demo` runs.

Usage: check-quickstart.py DEMO_SH README [README...]

Extracts, in order, the `tigress` and `curl` command lines that examples/demo.sh executes
(`show "$TIGRESS" ...`, `fails N "$TIGRESS" ...`, and its curl of the preview page) and the
`tigress`/`curl` lines of the ```sh blocks in each README's quick-start section, splits both
with shell quoting rules (so "Car key" and 'Car key' are the same argument), and compares the
argument lists. Values the demo only knows at run time are written as placeholders in the
README; PLACEHOLDERS says which demo variable each one stands for. Prints a unified diff and
exits 1 when they differ.
"""
import difflib
import re
import shlex
import sys

# demo.sh variable -> the README's placeholder for it (values known only when the demo runs).
PLACEHOLDERS = {
    "$TIGRESS": "tigress",
    "$URL": "SHARE_URL", "$URL2": "SHARE_URL", "$URL3": "SHARE_URL",
    "$PUB": "ALICE_PUBLIC_KEY_HEX",
    "${URL%%#*}": "https://127.0.0.1:PORT/v1/m/ID?v=c",
}
# curl flags that only change how the demo prints (fail quietly); the README leaves them out.
CURL_OUTPUT_FLAGS = {"-f", "-s", "-S", "-fsS", "-sS", "-fs"}


def logical_lines(text):
    """Lines with backslash-newline continuations joined."""
    return re.sub(r"\\\n[ \t]*", " ", text).splitlines()


def demo_commands(path):
    text = open(path, encoding="utf-8").read()
    variables = {}
    for line in logical_lines(text):
        m = re.match(r"^([A-Z][A-Z0-9_]*)=('[^']*')\s*$", line)
        if m:  # a constant the demo defines, e.g. CONTENT='{...}'
            variables["$" + m.group(1)] = shlex.split(m.group(2))[0]
    cmds = []
    for line in logical_lines(text):
        line = line.strip()
        runs = re.match(r'^(show|fails [0-9]+) "\$TIGRESS" (.*)$', line)
        curl = re.match(r"^curl (.*)$", line)
        if not runs and not curl:
            continue
        body = ("$TIGRESS " + runs.group(2)) if runs else line
        body = body.split(" | ")[0]  # `| tee FILE`, `| grep ...`: how the demo shows output
        args = [PLACEHOLDERS.get(a, variables.get(a, a)) for a in shlex.split(body)]
        if args[0] == "curl":
            args = [a for a in args if a not in CURL_OUTPUT_FLAGS]
        cmds.append(args)
    return cmds


def readme_commands(path):
    """tigress/curl lines of the ```sh blocks in the quick-start section: from its heading to
    the next heading of the same or a higher level (headings, not `# comments` in blocks)."""
    level, fence, in_section, cmds = None, None, False, []
    for line in logical_lines(open(path, encoding="utf-8").read()):
        if line.startswith("```"):
            fence = line.strip()[3:] if fence is None else None  # the block's language
            continue
        in_block = fence == "sh"
        heading = None if fence is not None else re.match(r"^(#+) (.*)$", line)
        if heading and level is None and heading.group(2).startswith("Quick start"):
            level, in_section = len(heading.group(1)), True
        elif heading and in_section and len(heading.group(1)) <= level:
            in_section = False
        elif in_block and in_section and re.match(r"^\s*(tigress|curl) ", line):
            cmds.append(shlex.split(line, comments=True))
    if level is None:
        raise SystemExit(f"{path}: no 'Quick start' heading")
    return cmds


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    want = [shlex.join(c) for c in demo_commands(argv[1])]
    if not any(c.startswith("tigress ") for c in want):
        print(f"{argv[1]}: found no tigress commands (has the demo's form changed?)")
        return 1
    status = 0
    for readme in argv[2:]:
        got = [shlex.join(c) for c in readme_commands(readme)]
        if got != want:
            status = 1
            sys.stdout.writelines(difflib.unified_diff(
                [c + "\n" for c in want], [c + "\n" for c in got], argv[1], readme))
        else:
            print(f"{readme}: {len(got)} commands, the same as {argv[1]}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Every public declaration (TIGRESS_API) in include/tigress/ states its contract: thread-safety,
what NULL arguments do, who owns returned pointers, in a @note.

Each declaration has its own doc comment with a brief (@brief, or leading text) and a @since.
Its @note is either in that comment, or in the opening comment of a Doxygen group that
encloses it, which then holds for every declaration of the group:

    /**
     * @name Parsed Share URL accessors
     * @note What holds for all of them.
     * @{
     */
    ... declarations, each with its own brief and @since ...
    /** @} */

Every @since names a release no newer than the headers' own version (TIGRESS_VERSION_MAJOR and
_MINOR in common.h, which must agree with TIGRESS_VERSION_NUM and TIGRESS_VERSION_STRING): an
API added for 1.1 in a library that still calls itself 1.0 would let a caller's
TIGRESS_VERSION_CHECK(1, 1, 0) fail against the very headers that declare it.

Usage: header_notes.py [SRC_DIR]   check include/tigress/*.h and include/tigress/sys/*.h
       header_notes.py --self-test check the checker on embedded sample headers
Exits non-zero and lists the declarations that lack something."""
import glob
import os
import re
import sys

DECL = re.compile(r"TIGRESS_API\s+(?:TIGRESS_WARN_UNUSED\s+)?[^;(]*?\b(tigress_\w+)\s*\(")
DOC = re.compile(r"/\*\*.*?\*/", re.S)
GROUP_TOKEN = re.compile(r"@\{|@\}")


def has_brief(comment: str) -> bool:
    """A @brief, or text before the first tag (Doxygen takes the first sentence as the brief)."""
    if "@brief" in comment:
        return True
    body = re.sub(r"^\s*\*+", "", comment[3:-2], flags=re.M).strip()
    return bool(body) and not body.startswith(("@", "\\"))


def check_text(name: str, text: str):
    """Returns (declarations, problems): declarations is a list of (function, how) with how
    "own" or "group"; problems lists "name: function lacks ..." lines (also for groups that do
    not close or close twice)."""
    # Group openings and closings in doc comments, in order: (offset, +1 with note | -1).
    events = []
    for c in DOC.finditer(text):
        for t in GROUP_TOKEN.finditer(c.group(0)):
            events.append((c.start() + t.start(), t.group(0), "@note" in c.group(0)))
    decls, problems = [], []
    for m in DECL.finditer(text):
        stack, broken = [], False
        for pos, tok, noted in events:
            if pos >= m.start():
                break
            if tok == "@{":
                stack.append(noted)
            elif stack:
                stack.pop()
            else:
                broken = True
        head = text[:m.start()].rstrip()
        comment = head[head.rfind("/**"):] if head.endswith("*/") and "/**" in head else ""
        if comment and ("*/" in comment[:-2] or GROUP_TOKEN.search(comment)):
            comment = ""  # a plain comment in between, or a group's opening/closing comment
        if not comment:
            missing = ["its own doc comment"]
        else:
            missing = [] if has_brief(comment) else ["a brief"]
            if "@since" not in comment:
                missing.append("@since")
            if "@note" not in comment and not any(stack):
                missing.append("@note (its own or its group's)")
        if broken:
            missing.append("a balanced @{ ... @} before it")
        if missing:
            problems.append(f"{name}: {m.group(1)} lacks {', '.join(missing)}")
        else:
            decls.append((m.group(1), "own" if "@note" in comment else "group"))
    depth = 0
    for _, tok, _ in events:
        depth += 1 if tok == "@{" else -1
    if depth != 0:
        problems.append(f"{name}: @{{ and @}} do not balance ({depth:+d})")
    return decls, problems


SINCE = re.compile(r"@since\s+(\S+)")
VERSION_MACRO = re.compile(r"#define\s+TIGRESS_VERSION_(MAJOR|MINOR|PATCH|NUM|STRING)\s+(\S+)")


def headers_version(text: str):
    """(major, minor, problems) from common.h's TIGRESS_VERSION_* macros, checked for agreement."""
    v = dict(VERSION_MACRO.findall(text))
    try:
        major, minor, patch = int(v["MAJOR"]), int(v["MINOR"]), int(v["PATCH"])
    except (KeyError, ValueError):
        return 0, 0, ["common.h: TIGRESS_VERSION_MAJOR/MINOR/PATCH missing or not numbers"]
    problems = []
    if v.get("NUM", "").lower() != f"0x{major:02x}{minor:02x}{patch:02x}":
        problems.append(f"common.h: TIGRESS_VERSION_NUM {v.get('NUM')} is not {major}.{minor}.{patch}")
    if v.get("STRING") != f'"{major}.{minor}.{patch}"':
        problems.append(f"common.h: TIGRESS_VERSION_STRING {v.get('STRING')} is not {major}.{minor}.{patch}")
    return major, minor, problems


def check_since(name: str, text: str, major: int, minor: int):
    """Problems for every @since that is not MAJOR.MINOR or names a release after the headers'."""
    problems = []
    for m in SINCE.finditer(text):
        got = re.fullmatch(r"(\d+)\.(\d+)", m.group(1).rstrip("*/").rstrip("."))
        if not got:
            problems.append(f"{name}: @since {m.group(1)} is not MAJOR.MINOR")
        elif (int(got.group(1)), int(got.group(2))) > (major, minor):
            problems.append(f"{name}: @since {m.group(1)} is newer than the headers' "
                            f"version {major}.{minor}")
    return problems


def report(decls, problems) -> int:
    for p in problems:
        print("header-notes-check:", p)
    n = len(decls) + len(problems)
    own = sum(1 for _, how in decls if how == "own")
    print(f"header-notes-check: {n} public declarations: {own} with their own @note, "
          f"{len(decls) - own} covered by a group note"
          + (f"; {len(problems)} problems" if problems else ""))
    return 1 if problems or not decls else 0


SAMPLE_GOOD = """
/** @file good.h @brief Good. @defgroup g Good @{ */
/**
 * @name Thing accessors
 * @note Thread-safe; NULL @p t gives NULL.
 * @{
 */
/** @brief The name. @since 1.0 */
TIGRESS_API const char *tigress_thing_name(const tigress_thing *t);
/** The colour (brief from the first sentence). @since 1.0 */
TIGRESS_API TIGRESS_WARN_UNUSED const char *tigress_thing_colour(const tigress_thing *t);
/** @} */
/**
 * @brief Free a thing.
 * @note Not while another thread uses @p t. NULL is a no-op.
 * @since 1.0
 */
TIGRESS_API void tigress_thing_free(tigress_thing *t);
/** @} */
"""

SAMPLE_NO_SINCE = """
/** @name Things @note Thread-safe. @{ */
/** @brief The name. */
TIGRESS_API const char *tigress_thing_name(const tigress_thing *t);
/** @} */
"""

SAMPLE_NO_NOTE = """
/** @defgroup g Things @{ */
/** @name Things @note Thread-safe. @{ */
/** @brief The name. @since 1.0 */
TIGRESS_API const char *tigress_thing_name(const tigress_thing *t);
/** @} */
/** @brief Free a thing. @since 1.0 */
TIGRESS_API void tigress_thing_free(tigress_thing *t);
/** @name Group note, but no doc comment of its own @note Thread-safe. @{ */
TIGRESS_API int tigress_thing_count(void);
/** @} */
/** @} */
"""


def self_test() -> int:
    cases = [
        ("good.h", SAMPLE_GOOD,
         [("tigress_thing_name", "group"), ("tigress_thing_colour", "group"),
          ("tigress_thing_free", "own")], []),
        ("no_since.h", SAMPLE_NO_SINCE, [], ["no_since.h: tigress_thing_name lacks @since"]),
        ("since_future.h", "/** @since 1.2 */ /** @since 1.1 */ /** @since 1 */", [],
         ["since_future.h: @since 1.2 is newer than the headers' version 1.1",
          "since_future.h: @since 1 is not MAJOR.MINOR"]),
        ("no_note.h", SAMPLE_NO_NOTE, [("tigress_thing_name", "group")],
         ["no_note.h: tigress_thing_free lacks @note (its own or its group's)",
          "no_note.h: tigress_thing_count lacks its own doc comment"]),
    ]
    failed = 0
    for name, text, want_decls, want_problems in cases:
        if name.startswith("since_"):
            decls, problems = [], check_since(name, text, 1, 1)
        else:
            decls, problems = check_text(name, text)
        if (decls, problems) != (want_decls, want_problems):
            failed += 1
            print(f"header-notes-check --self-test: {name}: got {decls} {problems}, "
                  f"want {want_decls} {want_problems}")
    print(f"header-notes-check --self-test: {len(cases) - failed} of {len(cases)} sample headers "
          "judged as expected")
    return 1 if failed else 0


def main() -> int:
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    paths = sorted(glob.glob(os.path.join(src, "include/tigress/*.h")) +
                   glob.glob(os.path.join(src, "include/tigress/sys/*.h")))
    major, minor, all_problems = headers_version(
        open(os.path.join(src, "include/tigress/common.h")).read())
    all_decls = []
    for path in paths:
        text = open(path).read()
        decls, problems = check_text(os.path.relpath(path, src), text)
        all_decls += decls
        all_problems += problems + check_since(os.path.relpath(path, src), text, major, minor)
    return report(all_decls, all_problems)


if __name__ == "__main__":
    sys.exit(main())

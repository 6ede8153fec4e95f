#!/usr/bin/env python3
"""Checks the code blocks of README.md and bindings/README.md against the real library and a
local relay. A block identical to one already checked is checked once.

  ```c       whole programs: compiled as C99 and C11 with the project's warnings, -pedantic and
             -Werror against include/ and the built library, then run as PROG RELAY_URL CA_FILE;
             they must exit 0 and print something.
  ```python  byte-compiled; a snippet that opens tigress.Client(ca_file=CA...) also runs, with
             RELAY and CA from the environment and the in-tree binding; it must exit 0 and
             reach its NotFoundError branch when it has one.
  ```java    each block is wrapped in a class (imports hoisted; the free names the prose leaves
             to the app - RELAY, CA, sent, provision(), ... - become stubs) and compiled against
             tigress.jar with -Xlint:all -Werror; a block that opens a TigressClient or
             generates a Secret also runs, with assertions on, through the JNI shim. Blocks that
             need OkHttp (not installed here) are skipped and say so.
  ```swift   each block becomes the body of an async throwing function in its own executable
             target of one package that depends on bindings/swift (imports hoisted; the free
             names the prose leaves to the app - RELAY, CA, loadCredentialJSON(), provision(),
             mySession - become stubs), built with `swift build` in Swift 6 mode with warnings
             as errors (SWIFT and SWIFT_ARGS_JSON from run-readme-snippets.sh); a block that
             sets `options.caFile = CA` also runs against the relay, and must reach its
             `.notFound` branch when it has one. Without a Swift toolchain they are skipped and
             say so.

Needs TIGRESS_RELAY_URL and TIGRESS_RELAY_CA (run-readme-snippets.sh starts the relay).
Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
"""
import argparse
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
from typing import List, Tuple

WARN = ["-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes",
        "-Wformat=2", "-Wvla", "-Wpointer-arith", "-Wcast-qual", "-Wundef", "-pedantic"]
DOCS = ("README.md", "bindings/README.md")
TIMEOUT_S = 120  # a hung snippet fails instead of blocking make check

JAVA_STUBS = """
    static String RELAY, CA;
    static Transfer sent;
    static java.security.PrivateKey privateKeyFromKeystore;
    static byte[] plaintext = "{\\"k\\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    static String urlLink = "https://relay.example/v1/m/0f8fad5b-d9cb-469f-a165-70867728950e";
    static byte[] loadCredentialJson() {
        return "{\\"vin\\":\\"WDD1234567890\\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    static void provision(byte[] content) {
        if (content == null || content.length == 0) throw new IllegalStateException("no content");
        System.out.println(new String(content, java.nio.charset.StandardCharsets.UTF_8));
    }
"""


def blocks(readme: str) -> List[Tuple[str, int, str]]:
    """(language, first line number, code) of every fenced block."""
    out, lang, start, buf = [], None, 0, []
    for n, line in enumerate(readme.splitlines(), 1):
        m = re.match(r"^```(\w*)\s*$", line)
        if m and lang is None:
            lang, start, buf = m.group(1), n + 1, []
        elif line.startswith("```") and lang is not None:
            out.append((lang, start, "\n".join(buf) + "\n"))
            lang = None
        elif lang is not None:
            buf.append(line)
    return out


class Checker:
    def __init__(self, src: str, build: str) -> None:
        self.src, self.build = src, build
        self.tmp = tempfile.mkdtemp(prefix="readme-snippets-")
        self.passed = self.failed = 0
        self.env = dict(os.environ)
        self.relay, self.ca = os.environ["TIGRESS_RELAY_URL"], os.environ["TIGRESS_RELAY_CA"]

    def result(self, name: str, ok: bool, detail: str = "") -> None:
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}\n{detail.rstrip()}")

    def run(self, argv: List[str], **kw) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, **kw)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(argv, 124, e.stdout or "", f"timed out: {argv}")

    # ---- C -------------------------------------------------------------------------------------

    def check_c(self, doc: str, line: int, code: str) -> None:
        name = f"{doc}:{line} (c)"
        if "int main(" not in code:
            self.result(name, False, "a C block must be a whole program (no main)")
            return
        path = os.path.join(self.tmp, f"c{line}.c")
        with open(path, "w") as f:
            f.write(code)
        cc = os.environ.get("CC", "cc")
        prog = os.path.join(self.tmp, f"c{line}")
        for std in ("c99", "c11"):
            r = self.run([cc, f"-std={std}", "-D_POSIX_C_SOURCE=200809L", *WARN,
                          "-I" + os.path.join(self.src, "include"), "-o", prog, path,
                          "-L" + self.build, "-Wl,-rpath," + self.build, "-ltigress"])
            if r.returncode != 0:
                self.result(f"{name} compiles as {std}", False, r.stderr)
                return
            self.result(f"{name} compiles as {std}", True)
        r = self.run([prog, self.relay, self.ca])
        self.result(f"{name} runs against the relay", r.returncode == 0 and r.stdout.strip() != "",
                    f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")

    # ---- Python --------------------------------------------------------------------------------

    def check_python(self, doc: str, line: int, code: str) -> None:
        name = f"{doc}:{line} (python)"
        path = os.path.join(self.tmp, f"py{line}.py")
        with open(path, "w") as f:
            f.write("import os\nRELAY = os.environ['TIGRESS_RELAY_URL']\n"
                    "CA = os.environ['TIGRESS_RELAY_CA']\n" + code)
        try:
            py_compile.compile(path, doraise=True)
        except py_compile.PyCompileError as e:
            self.result(f"{name} compiles", False, str(e))
            return
        self.result(f"{name} compiles", True)
        if "tigress.Client(ca_file=CA" not in code:
            return
        env = dict(self.env, PYTHONPATH=os.path.join(self.src, "bindings", "python"),
                   TIGRESS_LIB=os.path.join(self.build, "libtigress.so.1"))
        r = self.run([sys.executable, path], env=env)
        reached = "NotFoundError" not in code or "TIGRESS_E_NOT_FOUND" in r.stdout
        self.result(f"{name} runs against the relay", r.returncode == 0 and reached,
                    f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")

    # ---- Java ----------------------------------------------------------------------------------

    def check_java(self, snippets: List[Tuple[str, int, str]]) -> None:
        jar = os.path.join(self.build, "tigress.jar")
        if shutil.which("javac") is None or not os.path.exists(jar):
            print(f"skip {len(snippets)} Java block(s): javac or {jar} missing")
            return
        classes = os.path.join(self.tmp, "java")
        os.makedirs(classes, exist_ok=True)
        for n, (doc, line, code) in enumerate(snippets):
            name = f"{doc}:{line} (java)"
            cls = f"ReadmeSnippet{n}"
            if "okhttp3" in code:
                print(f"skip {name}: needs OkHttp, which is not installed here")
                continue
            imports = [ln for ln in code.splitlines() if ln.startswith("import ")]
            body = "\n".join(ln for ln in code.splitlines() if not ln.startswith("import "))
            src = ("\n".join(imports) + "\nimport org.tigress.*;\n\n"
                   f"public class {cls} {{\n{JAVA_STUBS}\n"
                   "    public static void main(String[] args) throws Exception {\n"
                   "        RELAY = args[0];\n        CA = args[1];\n        snippet();\n    }\n\n"
                   f"    static void snippet() throws Exception {{\n{body}\n    }}\n}}\n")
            path = os.path.join(self.tmp, f"{cls}.java")
            with open(path, "w") as f:
                f.write(src)
            r = self.run(["javac", "-Xlint:all", "-Werror", "--release", "11", "-cp", jar,
                          "-d", classes, path])
            self.result(f"{name} compiles against tigress.jar", r.returncode == 0, r.stderr)
            if r.returncode != 0 or not ("new TigressClient" in code or "Secret.generate" in code):
                continue
            r = self.run(["java", "-ea", "-Xcheck:jni",
                          "-Dtigress.jni.library=" + os.path.join(self.build, "libtigress_jni.so"),
                          "-cp", f"{jar}:{classes}", cls, self.relay, self.ca])
            self.result(f"{name} runs against the relay", r.returncode == 0,
                        f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")

    # ---- Swift ---------------------------------------------------------------------------------

    SWIFT_STUBS = {
        "RELAY": '    let RELAY = ProcessInfo.processInfo.environment["TIGRESS_RELAY_URL"] ?? ""\n',
        "CA": '    let CA = ProcessInfo.processInfo.environment["TIGRESS_RELAY_CA"] ?? ""\n',
        "mySession": "    let mySession = URLSession(configuration: .ephemeral)\n",
    }
    SWIFT_FUNCS = """
func loadCredentialJSON() -> Data { Data(#"{"vin":"WDD1234567890"}"#.utf8) }
func provision(_ content: Data) {
    precondition(!content.isEmpty, "no content")
    print(String(decoding: content, as: UTF8.self))
}
"""

    def check_swift(self, snippets: List[Tuple[str, int, str]]) -> None:
        swift = os.environ.get("SWIFT")
        if not snippets:
            return
        if not swift:
            print(f"skip {len(snippets)} Swift block(s): no Swift toolchain")
            return
        args = json.loads(os.environ.get("SWIFT_ARGS_JSON", "[]"))
        pkg = os.path.join(self.build, "bindings", "swift", "readme-snippets")
        # Files are rewritten only when they change, so that a warm build recompiles nothing.
        def write(path: str, text: str) -> None:
            try:
                with open(path) as f:
                    if f.read() == text:
                        return
            except OSError:
                pass
            with open(path, "w") as f:
                f.write(text)

        if os.path.isdir(os.path.join(pkg, "Sources")):
            for d in os.listdir(os.path.join(pkg, "Sources")):
                if not re.fullmatch(rf"Snippet({'|'.join(str(i) for i in range(len(snippets)))})", d):
                    shutil.rmtree(os.path.join(pkg, "Sources", d), ignore_errors=True)
        targets = []
        for n, (doc, line, code) in enumerate(snippets):
            name = f"Snippet{n}"
            imports = [ln for ln in code.splitlines() if ln.startswith("import ")]
            body = "\n".join("    " + ln if ln else ln
                             for ln in code.splitlines() if not ln.startswith("import "))
            stubs = "".join(v for k, v in self.SWIFT_STUBS.items() if re.search(rf"\b{k}\b", code))
            src = ("import Foundation\n#if canImport(FoundationNetworking)\n"
                   "import FoundationNetworking\n#endif\n" + "\n".join(imports) + "\n"
                   + self.SWIFT_FUNCS + "\nfunc snippet() async throws {\n" + stubs + body
                   + "\n}\n\ntry await snippet()\n")
            os.makedirs(os.path.join(pkg, "Sources", name), exist_ok=True)
            write(os.path.join(pkg, "Sources", name, "main.swift"), src)
            targets.append(f'        .executableTarget(name: "{name}", dependencies: '
                           f'[.product(name: "Tigress", package: "swift")], path: "Sources/{name}"),')
        write(os.path.join(pkg, "Package.swift"),
              "// swift-tools-version:6.0\n// Generated by tests/docs/readme_snippets.py\n"
              "import PackageDescription\n\nlet package = Package(\n"
              '    name: "ReadmeSnippets",\n    platforms: [.macOS(.v12), .iOS(.v15)],\n'
              f'    dependencies: [.package(path: "{self.src}/bindings/swift")],\n'
              "    targets: [\n" + "\n".join(targets) + "\n    ],\n"
              "    swiftLanguageModes: [.v6]\n)\n")
        r = subprocess.run([swift, "build", "--package-path", pkg, "--scratch-path",
                            os.path.join(pkg, ".build"), *args], capture_output=True, text=True,
                           timeout=600)
        out = r.stdout + r.stderr
        for n, (doc, line, code) in enumerate(snippets):
            name = f"{doc}:{line} (swift)"
            own = [ln for ln in out.splitlines() if f"/Sources/Snippet{n}/" in ln
                   and ("error:" in ln or "warning:" in ln)]
            ok = r.returncode == 0 and not own
            self.result(f"{name} compiles (swift build, Swift 6, warnings as errors)", ok,
                        "\n".join(own) if own else out[-3000:])
            if not ok or "options.caFile = CA" not in code:
                continue
            prog = os.path.join(pkg, ".build", "debug", f"Snippet{n}")
            rr = self.run([prog])
            reached = ".notFound" not in code or "gone:" in rr.stdout
            self.result(f"{name} runs against the relay", rr.returncode == 0 and reached,
                        f"exit {rr.returncode}\nstdout: {rr.stdout}\nstderr: {rr.stderr}")

    def main(self) -> int:
        java: List[Tuple[str, int, str]] = []
        swift: List[Tuple[str, int, str]] = []
        seen = {}
        for doc in DOCS:
            with open(os.path.join(self.src, doc)) as f:
                found = blocks(f.read())
            if doc == "README.md" and not any(lang == "c" for lang, _, _ in found):
                self.result("README.md has C blocks", False, "no ```c block found")
            for lang, line, code in found:
                if (lang, code) in seen:
                    print(f"same {doc}:{line} ({lang}) as {seen[(lang, code)]}")
                    continue
                seen[(lang, code)] = f"{doc}:{line}"
                if lang == "c":
                    self.check_c(doc, line, code)
                elif lang == "python":
                    self.check_python(doc, line, code)
                elif lang == "java":
                    java.append((doc, line, code))
                elif lang == "swift":
                    swift.append((doc, line, code))
        self.check_java(java)
        self.check_swift(swift)
        shutil.rmtree(self.tmp, ignore_errors=True)
        print(f"{self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    sys.exit(Checker(os.path.abspath(a.src), os.path.abspath(a.build)).main())

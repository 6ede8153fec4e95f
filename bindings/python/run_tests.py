#!/usr/bin/env python3
"""Runs the unittest tests in bindings/python/tests (or the directory named by the first
argument, e.g. tests_portable) and ends with "N passed, N failed".

Needs TIGRESS_RELAY_URL and TIGRESS_RELAY_CA (a relay over HTTPS on loopback, see run_tests.sh)
and TIGRESS_LIB (the libtigress.so.1 to test). Exits 1 on any failure or error.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    sys.path.insert(0, HERE)  # the tigress package
    tests = sys.argv[1] if len(sys.argv) > 1 else "tests"
    suite = unittest.defaultTestLoader.discover(os.path.join(HERE, tests), top_level_dir=HERE)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    # A skipped test proves nothing: count it as failed rather than passed. A test can appear
    # twice (an error in the test and another in its tearDown), and a setUpClass error is an
    # entry of its own that testsRun does not count: count distinct ids, so that the line
    # never says fewer than 0 passed.
    bad = {t.id() for t, _ in result.failures + result.errors + result.skipped}
    bad |= {t.id() for t in result.unexpectedSuccesses}
    failed = len(bad)
    passed = max(result.testsRun - failed, 0)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

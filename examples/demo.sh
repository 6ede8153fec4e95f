#!/usr/bin/env bash
# Placeholder until the relay and the CLI land: the demo needs both.
echo "make demo: the relay and the tigress CLI have not landed yet; the library is built in build/."

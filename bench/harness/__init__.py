"""piramid benchmark harness: see bench/README.md. Runs under /usr/bin/python3 (Debian's packages)."""

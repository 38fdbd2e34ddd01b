#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter: on PATH, or through pyenv where
# python3.12 is only a shim. Exit 1 with a message when none is found.
set -u
ok() { "$@" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for cand in python3.12 python3.13 python3; do
  if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then
    "$cand" -c 'import sys; print(sys.executable)'; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.[0-9]+)?$' | sort -V); do
    p="$(pyenv root)/versions/$v/bin/python3"
    if [ -x "$p" ] && ok "$p"; then echo "$p"; exit 0; fi
  done
fi
echo "No Python >= 3.12 found (on PATH or through pyenv); install one, e.g. 'pyenv install 3.12'." >&2
exit 1

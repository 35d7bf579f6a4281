#!/bin/sh
# Run the Parley benchmark harness; arguments go to run.py (default: --all).
# Python: $PYTHON, else the project's venv, else python3. It needs uvloop and httptools
# (both come with uvicorn[standard], a Parley dependency).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x "$here/../.venv/bin/python" ]; then py="$here/../.venv/bin/python"; else py=python3; fi
fi
[ "$#" -eq 0 ] && set -- --all
exec "$py" "$here/run.py" "$@"

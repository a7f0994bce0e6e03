#!/usr/bin/env bash
# ansible-test sanity and units, the collection ecosystem's own gates, on the
# collection as it ships: the built tarball, unpacked under an
# ansible_collections/ tree, plus tests/unit and tests/sanity.
#
#   tests/ansible-test.sh webstack-django-X.Y.Z.tar.gz
#
# Without --docker (these machines run no registry images): --local, with
# ansible-test's own per-test virtualenvs. ansible-test fills each of them by
# running a pip bootstrap script that it downloads from a host of its own, and
# reads from a cache first; the script here is written into that cache, and
# runs pip from pip's own wheel, fetched from PyPI at the version ansible-test
# pins. Its HOME (virtualenvs, the bootstrap) is .cache/ansible-test, never ~;
# the collection tree is a temporary directory outside this git checkout
# (ansible-test asks git which files to test, and .cache is ignored).
set -euo pipefail

tarball=${1:?usage: tests/ansible-test.sh webstack-django-X.Y.Z.tar.gz}
top=$PWD
work=$top/.cache/ansible-test
scratch=$(mktemp -d "${TMPDIR:-/tmp}/webstack-ansible-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
tree=$scratch/ansible_collections/webstack/django
export HOME=$work/home
python=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

mkdir -p "$tree" "$HOME"
tar -xzf "$tarball" -C "$tree"
mkdir -p "$tree/tests"
cp -r tests/unit tests/sanity "$tree/tests/"

# The pip version ansible-test bootstraps into its virtualenvs, and its wheel.
pip_version=$(python -c "
from ansible_test._internal.host_configs import NativePythonConfig
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(NativePythonConfig(version='$python'))['pip'])")
wheels=$work/wheels
if ! compgen -G "$wheels/pip-$pip_version-*.whl" >/dev/null; then
  pip download --quiet --no-deps --dest "$wheels" "pip==$pip_version" 2> >(grep -v '^WARNING: Location' >&2)
fi
wheel=$(compgen -G "$wheels/pip-$pip_version-*.whl" | head -n 1)
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
cat >"$cache/get_pip_${pip_version//./_}.py" <<PY
# ansible-test's pip bootstrap (tests/ansible-test.sh): get-pip.py's arguments
# are pip install's, less its own --no-setuptools/--no-wheel; pip runs from its wheel.
import runpy, sys
sys.path.insert(0, "$wheel")
sys.argv = [sys.argv[0], "install", *(a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel"))]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
PY

cd "$tree"
echo "ansible-test sanity (Python $python) on $(basename "$tarball")"
ansible-test sanity --local --python "$python" --color no 2>&1 |
  grep -vE '^(WARNING: Location|Looking in|Collecting|  Downloading|  Using cached|Processing|Installing collected|Successfully installed|Requirement already|     ━)' |
  tee "$work/sanity.log"
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || { echo "ansible-test sanity failed" >&2; exit "$status"; }
echo "ansible-test units (Python $python)"
ansible-test units --local --python "$python" --color no 2>&1 | grep -v '^WARNING: Location' | tee "$work/units.log"
status=${PIPESTATUS[0]}
[ "$status" = 0 ] || { echo "ansible-test units failed" >&2; exit "$status"; }

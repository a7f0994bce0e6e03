#!/bin/sh
# Builds the virtualenv of a release whose code is unpacked, in one process:
# the Django project is there, the virtualenv, the requirements (uv or pip,
# bytecode compiled up front: the sandboxed app cannot write __pycache__ at run
# time), then the app's own bytecode. Run by tasks/build.yml as
#   sh -c "<this file>" build RELEASE MANAGE_PY REQUIREMENTS INSTALLER UV PYTHON REVISION META USER GROUP
# and, last, the release's REVISION and .webstack-release.json (META) and its
# static root, which collectstatic fills as the app's USER.
# Each step says its name on stderr first, so that a failure reads
# "installing the requirements with uv: <the installer's own words>".
set -eu
release=$1 manage=$2 requirements=$3 installer=$4 uv=$5 python=$6 revision=$7 meta=$8 user=$9 group=${10}

# Files the app's user can read and run, whatever umask the session has: where
# PAM applies login.defs (pam_umask, as Debian 13 does for sudo) and the base
# role sets UMASK 027, the app could not run a virtualenv written with it.
umask 022

step() { printf '%s:\n' "$1" >&2; }

if [ ! -f "$release/$manage" ]; then
  printf 'the code has no %s at its top; set release_manage_py to where the Django project'"'"'s manage.py is.\n' \
    "$manage" >&2
  exit 3
fi

if [ "$installer" = uv ]; then
  step "creating the virtualenv with uv"
  "$uv" venv --quiet --python "$python" "$release/venv"
  step "installing the requirements with uv"
  # uv pip install honours hashes in the file (a lock from `uv pip compile
  # --generate-hashes` or pip-tools).
  "$uv" pip install --quiet --compile-bytecode --python "$release/venv/bin/python" \
    --requirement "$release/$requirements"
else
  step "creating the virtualenv with venv"
  "$python" -m venv "$release/venv"
  step "installing the requirements with pip"
  "$release/venv/bin/pip" install --quiet --compile --no-input --disable-pip-version-check \
    --requirement "$release/$requirements"
fi

step "compiling the app's bytecode"
"$release/venv/bin/python" -m compileall -q -x '/venv/' "$release"
step "writing the revision and making the static root"
printf '%s\n' "$revision" >"$release/REVISION"
printf '%s\n' "$meta" >"$release/.webstack-release.json"
chgrp "$group" "$release/REVISION" "$release/.webstack-release.json"
mkdir -p "$release/static"
chown "$user:$group" "$release/static"
chmod 0755 "$release/static"
echo "built $release" >&2

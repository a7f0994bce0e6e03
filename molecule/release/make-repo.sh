#!/bin/sh
# Builds a bare repository from a copy of examples/app: v1 is the app as it is,
# v2 changes its stylesheet; main points at v2.
set -eu
src=$1
dest=$2
cd "$src"
rm -rf .git
git init -q -b main
git -c user.name=test -c user.email=test@example.test add -A
git -c user.name=test -c user.email=test@example.test commit -q -m "example app"
git tag v1
echo "/* v2 */" >> notes/static/notes/site.css
git -c user.name=test -c user.email=test@example.test commit -q -am "v2: stylesheet"
git tag v2
git clone -q --bare "$src" "$dest"
chown -R git:git "$dest"

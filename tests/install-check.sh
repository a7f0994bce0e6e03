#!/usr/bin/env bash
# Install the built collection tarball offline into an empty collections path
# and use webstack.django.base from a playbook outside the repository.
#   tests/install-check.sh webstack-django-0.1.0.tar.gz
set -euo pipefail

tarball=$(realpath "${1:?usage: install-check.sh TARBALL}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Only the new, empty path (and the ansible package's own collections, which
# carry the dependencies: ansible.posix, community.*) is searched; --offline
# keeps ansible-galaxy away from any server.
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
mkdir -p "$work/collections"
ansible-galaxy collection install --offline -p "$work/collections" "$tarball"
test -f "$work/collections/ansible_collections/webstack/django/roles/base/meta/argument_specs.yml"

ansible-galaxy collection list webstack.django -p "$work/collections" | grep -E 'webstack\.django +0\.1\.0'
ansible-doc -t role webstack.django.base | grep -q 'base_ssh_password_authentication'
for role in python postgresql gunicorn release nginx common; do
  ansible-doc -t role "webstack.django.$role" | grep -q "ENTRY POINT: .*main"
done
ansible-doc -t role webstack.django.release | grep -q "ENTRY POINT: .*rollback"
# Playbooks shipped in the collection run by their short names.
ansible-playbook webstack.django.site --syntax-check
ansible-playbook webstack.django.restore --syntax-check
ansible-playbook webstack.django.deploy --syntax-check
ansible-playbook webstack.django.rollback --syntax-check
ansible-playbook webstack.django.topology --syntax-check

cat >"$work/site.yml" <<'PLAYBOOK'
---
- name: Use the installed collection
  hosts: localhost
  connection: local
  vars:
    base_admin_users:
      - name: admin
        ssh_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2mYh8ZsQe5bqQfZl3yq2Hh0k1yq9Yc4Q1n0o3f7QkD admin@example"]
  roles:
    - role: webstack.django.base
PLAYBOOK
ansible-playbook --syntax-check "$work/site.yml"
# Argument validation and preflight of the installed role, in check mode (no change).
ansible-playbook --check --tags base_preflight "$work/site.yml"
# And bad input is refused by the installed role too.
if ansible-playbook --check --tags base_preflight -e base_ssh_port=70000 "$work/site.yml" >"$work/bad.log" 2>&1; then
  echo "install-check: base_ssh_port=70000 was accepted" >&2
  exit 1
fi
grep -q "base_ssh_port: '70000' is not a port number (1 to 65535)" "$work/bad.log"
# Galaxy's own import checks (metadata, role READMEs, docs, ansible-lint) on the tarball.
# Its ansible-lint runs in a scratch directory where webstack.django.* does not
# resolve; it reports that as warnings, and an import failure as ERROR.
python -m galaxy_importer.main "$tarball" >"$work/importer.log" 2>&1 || { cat "$work/importer.log"; exit 1; }
if grep -q '^ERROR' "$work/importer.log" || ! grep -q 'Importer processing completed successfully' "$work/importer.log"; then
  cat "$work/importer.log"
  exit 1
fi
echo "install-check: the tarball installs offline, passes galaxy-importer, and its roles and playbooks run from outside the repo"

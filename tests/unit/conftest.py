# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""Templates use the collection's own filters (webstack.django.env_value), which Ansible
finds through its collection loader. ansible-test installs it; under plain pytest it is
installed here, before a test imports anything from ansible_collections."""

from __future__ import annotations

from pathlib import Path

try:
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig
except ImportError:  # ansible-test's module tests see only module_utils, and render no template
    init_plugin_loader = None

if init_plugin_loader is not None and not AnsibleCollectionConfig.collection_finder:
    # tests/unit/conftest.py in ansible_collections/webstack/django: the collections path.
    init_plugin_loader([str(Path(__file__).parents[4])])

# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.release_links filter: the links that put a project's own static and media roots in place."""

from __future__ import annotations

DOCUMENTATION = r"""
name: release_links
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The links a release needs when its settings name their own static and media roots
description:
  - Takes where the project's settings put its files (C(STATIC_ROOT) and C(MEDIA_ROOT), resolved, as the release role
    reads them from the imported project) and says what links the release needs so that nginx finds them where it
    looks, the release's C(static/) and the app's C(shared/media).
  - A static root inside the release other than its C(static/) gets C(static/) linked to it (relative, within the
    release). A media root inside the release is linked to the shared media directory, so that uploads outlive the
    release.
  - A static root outside the release is a problem (each release must collect its own files, or the release before
    would serve the new manifest's names), and so is a media root outside both the release and the shared media
    directory (the app server's sandbox lets it write only there, and nginx serves C(/media/) from there).
options:
  _input:
    description: C(STATIC_ROOT) and C(MEDIA_ROOT), absolute and resolved; an empty string for one that is not set.
    type: dict
    required: true
  release_dir:
    description: The release's directory, resolved.
    type: str
    required: true
  shared_media:
    description: The shared media directory, resolved.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Link the project's own roots into place
  ansible.builtin.file:
    src: "{{ item.src }}"
    dest: "{{ item.dest }}"
    state: link
    force: true
  loop: "{{ (roots | webstack.django.release_links('/srv/shop/releases/abc', '/srv/shop/shared/media')).links }}"
"""

RETURN = r"""
_value:
  description: What the release needs.
  type: dict
  contains:
    links:
      description: The links to make, each a C(dest) and the C(src) it points to.
      type: list
      elements: dict
    static_root:
      description: The directory C(collectstatic) fills.
      type: str
    problems:
      description: What cannot be served as it is, each a sentence naming the setting and what to do.
      type: list
      elements: str
"""

import posixpath

from ansible.errors import AnsibleFilterError


def _inside(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip("/") + "/")


def release_links(roots: object, release_dir: str, shared_media: str) -> dict:
    if not isinstance(roots, dict):
        raise AnsibleFilterError(f"release_links: expects STATIC_ROOT and MEDIA_ROOT, got {type(roots).__name__}")
    for name, value in (("release_dir", release_dir), ("shared_media", shared_media)):
        if not isinstance(value, str) or not posixpath.isabs(value):
            raise AnsibleFilterError(f"release_links: {name} {value!r} is not an absolute path")
    release_dir = posixpath.normpath(release_dir)
    shared_media = posixpath.normpath(shared_media)
    static = posixpath.normpath(roots["STATIC_ROOT"]) if roots.get("STATIC_ROOT") else ""
    media = posixpath.normpath(roots["MEDIA_ROOT"]) if roots.get("MEDIA_ROOT") else ""
    own_static = posixpath.join(release_dir, "static")
    links: list[dict[str, str]] = []
    problems: list[str] = []

    if static and static != own_static:
        if _inside(static, release_dir):
            links.append({"dest": own_static, "src": posixpath.relpath(static, release_dir)})
        else:
            problems.append(
                f"settings.STATIC_ROOT is {static}, outside the release ({release_dir}): each release collects its "
                "own static files, so that the one before keeps serving the names its pages use. Read it from "
                "DJANGO_STATIC_ROOT, or put it in the project (BASE_DIR / \"staticfiles\")."
            )
    if media and media != shared_media:
        if media == release_dir or _inside(release_dir, media):
            problems.append(f"settings.MEDIA_ROOT is {media}, which holds the release itself; read it from DJANGO_MEDIA_ROOT.")
        elif _inside(media, release_dir):
            if media == own_static or _inside(media, own_static) or (static and (media == static or _inside(media, static))):
                problems.append(f"settings.MEDIA_ROOT is {media}, inside the static root; read it from DJANGO_MEDIA_ROOT.")
            else:
                links.append({"dest": media, "src": shared_media})
        else:
            problems.append(
                f"settings.MEDIA_ROOT is {media}, outside the app's {shared_media}: the app server may write only "
                "there, and nginx serves /media/ from there. Read it from DJANGO_MEDIA_ROOT."
            )
    return {"links": links, "static_root": static or own_static, "problems": problems}


class FilterModule:
    def filters(self) -> dict:
        return {"release_links": release_links}

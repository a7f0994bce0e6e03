"""Media every host sees: the site keeps uploads in a bucket of an S3-compatible server (moto's, on the ACME host:
molecule/shared/s3_server.yml), through django-storages. A file uploaded through one web host is read by the other
web host's app and by a browser following the page's link, and no host keeps a copy of its own."""

from __future__ import annotations

import json
import re
import subprocess
import uuid

import webstack_test
from cluster_front import WEB, backend_get
from testinfra.host import Host

MEDIA = "/srv/shop/shared/media"
ENDPOINT = "http://webstack-cluster-acme:9000"


def test_the_environment_names_the_bucket() -> None:
    for name in WEB:
        host = webstack_test.host(name)
        names = host.check_output("sed -n 's/^\\(DJANGO_AWS_[A-Z0-9_]*\\)=.*/\\1/p' /srv/shop/shared/env").split()
        assert sorted(names) == ["DJANGO_AWS_ACCESS_KEY_ID", "DJANGO_AWS_S3_ADDRESSING_STYLE",
                                 "DJANGO_AWS_S3_ENDPOINT_URL", "DJANGO_AWS_S3_REGION_NAME",
                                 "DJANGO_AWS_SECRET_ACCESS_KEY", "DJANGO_AWS_STORAGE_BUCKET_NAME"], (name, names)
        said = host.check_output(
            "shop-manage shell -v 0 -c \"from django.core.files.storage import storages; s = storages['default']; "
            "print(type(s).__module__, s.bucket_name)\"")
        assert said == "storages.backends.s3 shop-media", (name, said)


def test_an_upload_through_one_web_host_is_read_through_the_other(client: Host) -> None:
    text = f"shared upload {uuid.uuid4().hex[:8]}"
    first, second = (webstack_test.host(name) for name in WEB)
    before = {name: webstack_test.host(name).check_output(f"find {MEDIA} -type f | wc -l") for name in WEB}
    # Posted to the first web host's app (its socket), as its nginx passes a browser's form.
    webstack_test.copy_http_helper(webstack_test.container(WEB[0]))
    answer = json.loads(first.check_output(f"python3 {webstack_test.HTTP_HELPER} upload '{text}' shared.txt"))
    assert answer["status"] == 302, answer
    # The second web host's app reads it from the bucket.
    read = second.check_output(
        "shop-manage shell -v 0 -c \"from notes.models import Note; "
        f"print(Note.objects.get(text='{text}').attachment.read().decode())\"")
    assert read == f"attachment of {text}", read
    # The page the second web host serves links to it, signed; the link answers with the file.
    page = subprocess.run(["docker", "exec", webstack_test.container(WEB[1]), "curl", "-sS", "--unix-socket",
                           "/run/shop/gunicorn.sock", "-H", "Host: shop.example.test", "-H", "X-Forwarded-Proto: https",
                           "http://localhost/"], capture_output=True, text=True, check=True).stdout
    links = re.findall(rf'<li>{re.escape(text)} &middot; <a href="([^"]+)">attachment</a>', page)
    assert len(links) == 1, page[-2000:]
    link = links[0].replace("&amp;", "&")
    assert link.startswith(f"{ENDPOINT}/shop-media/notes/") and "X-Amz-Signature=" in link, link
    assert client.check_output(f"curl -sSf '{link}'") == f"attachment of {text}"
    # No host keeps a copy of its own.
    assert {name: webstack_test.host(name).check_output(f"find {MEDIA} -type f | wc -l") for name in WEB} == before


def test_nginx_serves_no_media_from_disk() -> None:
    """With uploads in the bucket, a file left in the media directory is not served at /media/, and nginx's user has
    no way into the directory."""
    name = f"left-behind-{uuid.uuid4().hex[:8]}.txt"
    for web in WEB:
        host = webstack_test.host(web)
        host.check_output(f"runuser -u shop -- sh -c 'echo not served > {MEDIA}/{name}'")
        try:
            answer = backend_get(web, f"/media/{name}")
            assert answer["status"] == 404 and "not served" not in answer["body"], (web, answer)
            assert host.run(f"runuser -u www-data -- cat {MEDIA}/{name}").rc != 0, web
            assert "www-data" not in host.check_output(f"getfacl -p {MEDIA} {MEDIA}/..")
        finally:
            host.check_output(f"rm -f {MEDIA}/{name}")

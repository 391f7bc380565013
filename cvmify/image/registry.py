"""`docker://REGISTRY/REPO[:TAG|@DIGEST]`: a daemonless pull (OCI distribution API).

    GET /v2/<repo>/manifests/<tag|digest>   Accept: OCI + docker v2 manifests and indexes
    GET /v2/<repo>/blobs/<digest>           config and layers, streamed to the workdir

The registry is untrusted: manifests are size-limited and, when the user
pinned a digest, must hash to it; an index entry must hash to its
descriptor; every blob is hashed while it is written to
workdir/blobs/<alg>/<hex> and kept only if it matches.
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

import requests

from cvmify.errors import CvmifyIOError, ImageNotFoundError, IntegrityError
from cvmify.image import mediatypes
from cvmify.image.auth import fetch_token, load_credentials, may_send_credentials, parse_challenge
from cvmify.image.credhelper import Credentials
from cvmify.image.digest import CHUNK_SIZE, digest_bytes, parse_digest, verify_bytes
from cvmify.image.http import read_limited
from cvmify.image.manifests import MAX_MANIFEST_SIZE, Descriptor, image_from_manifest, resolve_manifest
from cvmify.image.progress import progress_bar
from cvmify.image.reference import RegistryRef, parse_registry_ref
from cvmify.image.source import BlobStore, Image

log = logging.getLogger(__name__)

TIMEOUT = 60.0  # seconds without progress before a request is abandoned


class RegistryClient:
    """One repository on one registry, with the auth it needed."""

    def __init__(self, ref: RegistryRef, session: requests.Session | None = None):
        self.ref = ref
        self.session = session or requests.Session()
        self.base = f"{ref.scheme}://{ref.host}/v2/{ref.repository}"
        self.credentials: Credentials | None = None
        self._credentials_loaded = False  # helpers run only once a registry asks
        self.authorization: str | None = None

    def _load_credentials(self) -> Credentials | None:
        if not self._credentials_loaded:
            self.credentials = load_credentials(self.ref.registry)
            self._credentials_loaded = True
        return self.credentials

    def _get(self, url: str, headers: dict[str, str], stream: bool = False) -> requests.Response:
        """GET, answering one auth challenge if the registry sends one."""
        response = self._send(url, headers, stream)
        if response.status_code == 401 and "WWW-Authenticate" in response.headers:
            response.close()
            self._answer(response.headers["WWW-Authenticate"])
            response = self._send(url, headers, stream)
        return response

    def _send(self, url: str, headers: dict[str, str], stream: bool) -> requests.Response:
        headers = dict(headers)
        if self.authorization:
            headers["Authorization"] = self.authorization
        try:
            # requests drops Authorization when a redirect leaves this host
            return self.session.get(url, headers=headers, stream=stream, timeout=TIMEOUT)
        except requests.RequestException as e:
            log.debug("GET %s: %s", url, e)  # requests' own text is long; keep it for -vv
            raise CvmifyIOError(f"cannot reach registry {self.ref.registry} "
                                f"({self.ref.scheme}): {type(e).__name__}") from None

    def _answer(self, challenge: str) -> None:
        scheme, params = parse_challenge(challenge)
        credentials = self._load_credentials()
        if scheme == "bearer":
            scope = f"repository:{self.ref.repository}:pull"
            token = fetch_token(self.session, params, scope, credentials, TIMEOUT)
            self.authorization = f"Bearer {token}"
        elif scheme == "basic" and credentials and credentials.identity_token:
            raise ImageNotFoundError(f"{self.ref}: registry wants basic auth, and {credentials.source} "
                                     f"has only an identity token for it")
        elif scheme == "basic" and credentials and may_send_credentials(self.base):
            pair = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
            self.authorization = f"Basic {pair}"
        else:
            raise ImageNotFoundError(f"{self.ref}: registry wants {scheme} auth and we have no credentials")

    def _check(self, response: requests.Response, what: str) -> None:
        if response.status_code == 200:
            return
        response.close()
        if response.status_code == 404:
            raise ImageNotFoundError(f"{what}: not found in {self.ref.registry}")
        if response.status_code in (401, 403):
            why = ""
            if self.authorization and self.credentials:
                why = f": the credentials from {self.credentials.source} were rejected"
            raise ImageNotFoundError(f"{what}: access denied by {self.ref.registry}{why}")
        raise CvmifyIOError(f"{what}: registry answered HTTP {response.status_code}")

    def fetch_manifest(self, reference: str, expected: str | None) -> tuple[bytes, str, str | None]:
        """(body, its digest, Content-Type). `expected` pins the digest."""
        what = f"{self.ref.registry}/{self.ref.repository} manifest {reference}"
        response = self._get(f"{self.base}/manifests/{reference}", {"Accept": mediatypes.MANIFEST_ACCEPT},
                             stream=True)
        self._check(response, what)
        with response:
            body = read_limited(response, MAX_MANIFEST_SIZE, what)
        digest = digest_bytes(body)
        if expected is not None:
            verify_bytes(body, expected, what)
            digest = expected
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip() or None
        return body, digest, content_type

    def download_blob(self, digest: str, size: int | None, dest: Path) -> None:
        """Stream a blob into `dest`, verified; nothing is left behind on failure."""
        d = parse_digest(digest)
        what = f"{self.ref.registry}/{self.ref.repository} blob {digest[:19]}"
        response = self._get(f"{self.base}/blobs/{digest}", {}, stream=True)
        self._check(response, what)
        hasher, count = d.hasher(), 0
        fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=dest.parent)
        try:
            with response, open(fd, "wb") as out, progress_bar(size, f"pull {d.hex[:12]}") as bar:
                for chunk in response.iter_content(CHUNK_SIZE):
                    count += len(chunk)
                    if size is not None and count > size:
                        raise IntegrityError(f"{what}: longer than the declared {size} bytes")
                    hasher.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
            if size is not None and count != size:
                raise IntegrityError(f"{what}: size mismatch: expected {size} bytes, got {count}")
            if hasher.hexdigest() != d.hex:
                raise IntegrityError(f"{what}: digest mismatch: expected {digest}, "
                                     f"got {d.algorithm}:{hasher.hexdigest()}")
            os.replace(tmp, dest)
        except requests.RequestException as e:
            raise CvmifyIOError(f"{what}: download failed: {e}") from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class RegistryBlobs(BlobStore):
    """Blobs pulled on first use into workdir/blobs/<alg>/<hex>."""

    def __init__(self, client: RegistryClient, workdir: Path):
        self.client = client
        self.dir = workdir / "blobs"

    def open_blob(self, digest: str, size: int | None) -> BinaryIO:
        d = parse_digest(digest)
        path = self.dir / d.algorithm / d.hex
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            self.client.download_blob(digest, size, path)
        return open(path, "rb")

    def close(self) -> None:
        self.client.session.close()


def open_registry_image(text: str, workdir: Path) -> Image:
    ref = parse_registry_ref(text)
    client = RegistryClient(ref)
    store = RegistryBlobs(client, workdir)
    try:
        body, digest, content_type = client.fetch_manifest(ref.reference, ref.digest)

        def fetch(desc: Descriptor) -> bytes:
            if desc.digest == digest:
                return body
            data, _, _ = client.fetch_manifest(desc.digest, desc.digest)
            if len(data) != desc.size:
                raise IntegrityError(f"{ref} manifest {desc.digest}: size mismatch")
            return data

        top = Descriptor(content_type or "", digest, len(body))
        chosen, manifest = resolve_manifest(fetch, top, str(ref))
        log.info("%s: manifest %s", ref, chosen.digest)
        return image_from_manifest(f"docker://{ref}", manifest, chosen.digest, chosen.media_type or None,
                                   store)
    except BaseException:
        store.close()
        raise

#!/usr/bin/env python3
"""Writes cases.json: S3 requests signed by botocore for fixed inputs at a fixed time.

SigV4VectorTests.swift signs the same inputs and must produce the same presigned URLs and
the same signing headers, byte for byte. Run it again only to add cases or to check a new
botocore:

    pip install boto3        # botocore >= 1.36 (request_checksum_calculation)
    python3 generate.py      # rewrites cases.json beside this file

Nothing is sent: header-signed requests are caught at botocore's `before-send` event, after
signing, and abandoned there.
"""

import base64
import datetime
import hashlib
import json
import os
import unicodedata
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import botocore
import botocore.auth
from botocore.config import Config

# Frozen time: botocore.auth reads the clock through this one function (SigV4Auth.add_auth
# and the presigners alike).
FIXED_TIME = datetime.datetime(2026, 3, 14, 15, 9, 26)
botocore.auth.get_current_datetime = lambda *args, **kwargs: FIXED_TIME

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////+Token/with=padding=="
BUCKET = "hoist-test-bucket"
LOCAL_ENDPOINT = "http://127.0.0.1:9000"

NFC_KEY = unicodedata.normalize("NFC", "uploads/café.txt")
NFD_KEY = unicodedata.normalize("NFD", "uploads/café.txt")
assert NFC_KEY != NFD_KEY


def content_md5(body):
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def client(region, style, endpoint=None, token=None, payload_signing=None):
    s3 = {"addressing_style": style}
    if payload_signing is not None:
        s3["payload_signing_enabled"] = payload_signing
    config = Config(
        signature_version="s3v4",
        s3=s3,
        # Otherwise botocore >= 1.36 adds x-amz-checksum-crc32 and friends to PutObject.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 1},
    )
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        aws_session_token=token,
    )
    return session.client("s3", region_name=region, endpoint_url=endpoint, config=config)


def addressing(region, style, endpoint, key):
    """The scheme, Host and unencoded path botocore must have used."""
    if endpoint is not None:
        parts = urlsplit(endpoint)
        assert style == "path"
        return parts.scheme, parts.netloc, f"/{BUCKET}/{key}"
    suffix = "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
    if style == "virtual":
        return "https", f"{BUCKET}.{suffix}", f"/{key}"
    return "https", suffix, f"/{BUCKET}/{key}"


def check_addressing(url, scheme, host, path, query):
    parts = urlsplit(url)
    assert parts.scheme == scheme, (url, scheme)
    assert parts.netloc == host, (url, host)
    assert unquote(parts.path) == path, (url, path)
    own = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("X-Amz-")]
    # A bare name (None: `?uploads`) reads back as an empty value.
    assert own == [(k, v or "") for k, v in query], (url, query)


# name, region, addressing style, endpoint, session token?, operation, params,
# the request's own query items (in botocore's order), expiry in seconds
PRESIGNED = [
    ("get-virtual-host", "eu-west-1", "virtual", None, False, "get_object",
     {"Key": "photos/2026/beach.jpg"}, [], 900),
    ("get-us-east-1-global-host", "us-east-1", "virtual", None, False, "get_object",
     {"Key": "photos/2026/beach.jpg"}, [], 900),
    ("put-path-style-local-endpoint", "us-east-1", "path", LOCAL_ENDPOINT, False, "put_object",
     {"Key": "reports/q1.pdf"}, [], 3600),
    ("put-path-style-aws", "eu-west-1", "path", None, False, "put_object",
     {"Key": "a-b_c.d~e/f"}, [], 3600),
    ("put-key-spaces", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": "my documents/my file (1).txt"}, [], 3600),
    ("put-key-plus", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": "a+b/c+d.txt"}, [], 3600),
    ("put-key-e-acute-nfc", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": NFC_KEY}, [], 3600),
    ("put-key-e-acute-nfd", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": NFD_KEY}, [], 3600),
    ("put-key-question-hash-percent", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": "what?#100%.txt"}, [], 3600),
    ("put-key-punctuation", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": "a&b=c;d:e,f@g$h!i*j'k(l)m[n]o{p}q|r^s`t\"u<v>w\\x.txt"}, [], 3600),
    ("put-key-not-normalised", "us-east-1", "path", LOCAL_ENDPOINT, False, "put_object",
     {"Key": "dir//sub/./x/../y.txt"}, [], 3600),
    ("put-key-emoji-cjk", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": "\U0001F600/\u65e5\u672c\u8a9e.txt"}, [], 3600),
    ("get-session-token", "eu-west-1", "virtual", None, True, "get_object",
     {"Key": "photos/2026/beach.jpg"}, [], 900),
    ("put-session-token-path-style-local", "us-east-1", "path", LOCAL_ENDPOINT, True, "put_object",
     {"Key": "my file+1.txt"}, [], 900),
    ("put-no-clobber-content-type", "eu-west-1", "virtual", None, False, "put_object",
     {"Key": "knowledge/playbook_1713045600000.md", "IfNoneMatch": "*", "ContentType": "text/markdown"},
     [], 3600),
    ("upload-part", "eu-west-1", "virtual", None, False, "upload_part",
     {"Key": "big/file.bin", "UploadId": "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u=", "PartNumber": 7},
     [("uploadId", "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u="), ("partNumber", "7")], 3600),
    ("create-multipart-upload", "eu-west-1", "virtual", None, False, "create_multipart_upload",
     {"Key": "big/file.bin"}, [("uploads", "")], 3600),
    ("get-response-content-disposition", "us-east-1", "path", LOCAL_ENDPOINT, False, "get_object",
     {"Key": "reports/q1.pdf", "ResponseContentDisposition": 'attachment; filename="q1 report.pdf"'},
     [("response-content-disposition", 'attachment; filename="q1 report.pdf"')], 900),
    ("get-seven-days", "eu-west-1", "virtual", None, False, "get_object",
     {"Key": "photos/2026/beach.jpg"}, [], 604800),
    ("get-one-second", "eu-west-1", "virtual", None, False, "get_object",
     {"Key": "photos/2026/beach.jpg"}, [], 1),
]

# name, region, addressing style, endpoint, session token?, payload signing (None: botocore's
# default), operation, params, the request's own query items (None: a bare name)
HEADER_SIGNED = [
    ("put-unsigned-payload-content-md5", "eu-west-1", "virtual", None, False, False, "put_object",
     {"Key": "photos/2026/beach.jpg", "Body": b"hello, world\n", "ContentMD5": content_md5(b"hello, world\n")}, []),
    ("put-payload-hash-content-md5-if-none-match", "eu-west-1", "virtual", None, False, True, "put_object",
     {"Key": "knowledge/playbook_1713045600000.md", "Body": b"# Playbook\n", "ContentMD5": content_md5(b"# Playbook\n"),
      "IfNoneMatch": "*", "ContentType": "text/markdown"}, []),
    ("put-path-style-http-key-encoding", "us-east-1", "path", LOCAL_ENDPOINT, False, None, "put_object",
     {"Key": "my docs/a+b " + NFD_KEY, "Body": b"bytes"}, []),
    ("put-session-token-unsigned-payload", "eu-west-1", "virtual", None, True, False, "put_object",
     {"Key": "what?#100%.txt", "Body": b"x", "ContentMD5": content_md5(b"x"), "ContentType": "text/plain"}, []),
    ("create-multipart-upload", "eu-west-1", "virtual", None, False, None, "create_multipart_upload",
     {"Key": "big/file.bin", "ContentType": "application/octet-stream"}, [("uploads", None)]),
    ("upload-part-unsigned-payload", "eu-west-1", "virtual", None, False, False, "upload_part",
     {"Key": "big/file.bin", "UploadId": "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u=", "PartNumber": 2,
      "Body": b"part two", "ContentMD5": content_md5(b"part two")},
     [("uploadId", "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u="), ("partNumber", "2")]),
    ("complete-multipart-upload", "eu-west-1", "virtual", None, False, None, "complete_multipart_upload",
     {"Key": "big/file.bin", "UploadId": "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u=",
      "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": '"a54357aff0632cce46d942af68356b38"'}]}},
     [("uploadId", "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u=")]),
    ("list-parts", "eu-west-1", "virtual", None, False, None, "list_parts",
     {"Key": "big/file.bin", "UploadId": "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u=", "PartNumberMarker": 1000, "MaxParts": 1000},
     [("uploadId", "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u="), ("part-number-marker", "1000"), ("max-parts", "1000")]),
    ("abort-multipart-upload-session-token", "us-east-1", "path", LOCAL_ENDPOINT, True, None, "abort_multipart_upload",
     {"Key": "big/file.bin", "UploadId": "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u="},
     [("uploadId", "VXBsb2FkIElE+Zm9y/ZWxldmF0aW9u=")]),
    ("head-object", "eu-west-1", "virtual", None, False, None, "head_object",
     {"Key": "café.txt"}, []),
]

# Added by the signer itself; the rest of the signed headers are the request's own.
SIGNER_HEADERS = {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}


class Caught(Exception):
    """Stops botocore once the signed request is in hand."""


def presigned_cases():
    cases = []
    for name, region, style, endpoint, token, operation, params, query, expires in PRESIGNED:
        s3 = client(region, style, endpoint, SESSION_TOKEN if token else None)
        url = s3.generate_presigned_url(operation, Params={"Bucket": BUCKET, **params}, ExpiresIn=expires)
        scheme, host, path = addressing(region, style, endpoint, params["Key"])
        check_addressing(url, scheme, host, path, query)
        signed = dict(parse_qsl(urlsplit(url).query))["X-Amz-SignedHeaders"].split(";")
        headers = [[h, str(params[p])] for h, p in (("Content-Type", "ContentType"), ("If-None-Match", "IfNoneMatch"))
                   if p in params]
        assert sorted(signed) == sorted(["host"] + [h.lower() for h, _ in headers]), (name, signed)
        cases.append({
            "name": name, "region": region, "sessionToken": SESSION_TOKEN if token else None,
            "method": {"get_object": "GET", "put_object": "PUT", "upload_part": "PUT",
                       "create_multipart_upload": "POST"}[operation],
            "scheme": scheme, "host": host, "path": path, "query": [list(q) for q in query],
            "headers": headers, "expiresIn": expires, "url": url,
        })
    return cases


def header_signed_cases():
    cases = []
    for name, region, style, endpoint, token, payload_signing, operation, params, query in HEADER_SIGNED:
        s3 = client(region, style, endpoint, SESSION_TOKEN if token else None, payload_signing)
        caught = []

        def before_send(request, **kwargs):
            caught.append(request)
            raise Caught()

        s3.meta.events.register("before-send.s3", before_send)
        try:
            getattr(s3, operation)(Bucket=BUCKET, **params)
        except Caught:
            pass
        request = caught[0]
        sent = {k.lower(): (k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
        authorization = sent["authorization"][1]
        signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        scheme, host, path = addressing(region, style, endpoint, params["Key"])
        check_addressing(request.url, scheme, host, path, query)
        own = [list(sent[h]) for h in signed if h != "host" and h not in SIGNER_HEADERS]
        added = [list(sent[h]) for h in ("x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "authorization")
                 if h in sent]
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        content_sha256 = sent["x-amz-content-sha256"][1]
        assert content_sha256 == "UNSIGNED-PAYLOAD" or content_sha256 == hashlib.sha256(body).hexdigest()
        cases.append({
            "name": name, "region": region, "sessionToken": SESSION_TOKEN if token else None,
            "method": request.method, "scheme": scheme, "host": host, "path": path,
            "query": [list(q) for q in query], "headers": own,
            "body": body.decode(), "payload": "unsigned" if content_sha256 == "UNSIGNED-PAYLOAD" else "sha256",
            "url": request.url, "signedHeaders": [list(h) for h in added],
        })
    return cases


def main():
    document = {
        "generator": f"Tests/HoistEngineTests/SigV4Vectors/botocore/generate.py, botocore {botocore.__version__}",
        "time": FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accessKeyID": ACCESS_KEY_ID,
        "secretAccessKey": SECRET_ACCESS_KEY,
        "presigned": presigned_cases(),
        "headerSigned": header_signed_cases(),
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json")
    with open(out, "w", encoding="ascii") as f:
        # ASCII with \u escapes: NFC and NFD keys stay distinct whatever an editor does.
        json.dump(document, f, indent=2, ensure_ascii=True)
        f.write("\n")
    print(f"wrote {len(document['presigned'])} presigned and {len(document['headerSigned'])} header-signed cases to {out}")


if __name__ == "__main__":
    main()

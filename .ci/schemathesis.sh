#!/usr/bin/env bash
# Contract test: runs schemathesis against a freshly started `hoist serve`, checking every
# answer against the server's own OpenAPI document (no 5xx, only documented statuses and
# content types, bodies and headers matching their schemas).
#
#   bash .ci/schemathesis.sh
#
# Environment (all optional):
#   HOIST_BIN          the hoist binary (default .build/debug/hoist)
#   ST_SCHEMA          the schema to test against (default $BASE/openapi.json, as served);
#                      a file path works too, e.g. Sources/HoistServer/Resources/openapi.json
#   ST_MAX_EXAMPLES    test cases per operation and phase (default 150)
#   ST_SEED            random seed ("random" for a fresh one). The default is one that, with this
#                      openapi.json, sends POST /v2/upload a multipart part header with a non-ASCII name
#                      byte (MultipartKit 4.7.1 crashed on it): keep it while that schema stays as is.
#   ST_WORKERS         concurrent workers (default 1: Python 3.11 can crash in ast.parse with more)
#   ST_TIMEOUT         hard bound on the schemathesis run, seconds (default 420)
#   ST_REPORT_DIR      where to keep a JUnit report and the server's log (default: discarded)
#   ST_EXTRA_ARGS      more arguments for `st run`, word-split
#
# Exits 0 when schemathesis found nothing and the server is still alive; non-zero otherwise.
# Always stops the server it started.
set -uo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
HOIST_BIN=${HOIST_BIN:-.build/debug/hoist}
case $HOIST_BIN in /*) ;; *) HOIST_BIN="$PWD/$HOIST_BIN" ;; esac
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-150}
SEED=${ST_SEED:-204042009067539127394032186377568704352}
WORKERS=${ST_WORKERS:-1}
RUN_TIMEOUT=${ST_TIMEOUT:-420}

summary() { echo "schemathesis: $1 ($(($(date +%s) - started)) s)"; }

if [ ! -x "$HOIST_BIN" ]; then
    summary "FAIL: no hoist binary at $HOIST_BIN"
    exit 2
fi
if ! command -v st >/dev/null 2>&1; then
    python3 -m pip install --quiet 'schemathesis>=4,<5' || { summary "FAIL: cannot install schemathesis"; exit 2; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hoist-schemathesis.XXXXXX")
server_pid=""

stop_server() {
    [ -n "$server_pid" ] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null
        for _ in $(seq 1 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid" 2>/dev/null
    fi
    wait "$server_pid" 2>/dev/null
    server_pid=""
}

cleanup() {
    stop_server
    if [ -n "${ST_REPORT_DIR:-}" ]; then
        mkdir -p "$ST_REPORT_DIR"
        cp "$work/server.err" "$ST_REPORT_DIR/server.log" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/data"
if ! key=$("$HOIST_BIN" keys create --data "$work/data" --scopes files:create,files:read --persona 100 2>"$work/keys.err"); then
    cat "$work/keys.err" >&2
    summary "FAIL: hoist keys create failed"
    exit 2
fi
key=$(printf '%s' "$key" | head -n 1 | tr -d '[:space:]')
[ -n "$key" ] || { summary "FAIL: hoist keys create printed no key"; exit 2; }

"$HOIST_BIN" serve --data "$work/data" --port 0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

base=""
for _ in $(seq 1 300); do # up to 30 s
    base=$(head -n 1 "$work/server.out" 2>/dev/null | tr -d '[:space:]')
    [ -n "$base" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$work/server.err" >&2
        summary "FAIL: hoist serve exited before printing its URL"
        exit 2
    fi
    sleep 0.1
done
[ -n "$base" ] || { cat "$work/server.err" >&2; summary "FAIL: hoist serve printed no URL within 30 s"; exit 2; }
echo "hoist serve at $base (pid $server_pid)"

# Schemathesis cannot forge a signature or split a signed URL into path and query, so a hook
# gives a share of the cases real data: signed upload and download URLs of live sessions, files
# with their bytes uploaded (for complete, url, finalize) and Luw files to serve. The rest stay
# as generated. A fixture call that fails is an error of the run, not silently skipped.
cat >"$work/hoist_st_hooks.py" <<'PY'
import itertools, os, random, threading, urllib.parse

import requests
import schemathesis

BASE = os.environ["HOIST_ST_BASE"]
KEY = os.environ["HOIST_ST_KEY"]
PERSONA = 100
SHARE = 0.6
LF = {"Authorization": f"Bearer {KEY}", "Lightfield-Version": "2026-03-01"}
AUTH = {"Authorization": f"Bearer {KEY}"}
_rng = random.Random(os.environ.get("HOIST_ST_SEED", "0"))
_lock = threading.Lock()
_names = itertools.count(1)


def _pick(*choices):
    with _lock:
        if _rng.random() >= SHARE:
            return None
        return _rng.choice(choices)


def _size():
    with _lock:
        return _rng.randint(1, 64)


def _name(ext):
    with _lock:
        return f"st-{next(_names)}.{ext}"


def _expect(response, *statuses):
    if response.status_code not in statuses:
        raise AssertionError(
            f"fixture {response.request.method} {response.request.path_url} answered {response.status_code}: {response.text[:300]}")
    return response


def _create(size, purpose="general", mime="application/octet-stream", ext="bin"):
    body = {"purpose": purpose, "filename": _name(ext), "mimeType": mime, "sizeBytes": size}
    return _expect(requests.post(f"{BASE}/v1/files", headers=LF, json=body, timeout=15), 200).json()


def _put(session, data, extra=None):
    headers = dict(session["uploadHeaders"])
    headers.update(extra or {})
    return _expect(requests.put(session["uploadUrl"], headers=headers, data=data, timeout=15), 200)


def _complete(session):
    return _expect(requests.post(f"{BASE}/v1/files/{session['id']}/complete", headers=LF, json={}, timeout=15), 200)


def _completed_file():
    size = _size()
    session = _create(size)
    _put(session, os.urandom(size))
    _complete(session)
    return session


def _luw(ext="png", put=None):
    answer = _expect(requests.post(f"{BASE}/v2/upload", headers=AUTH, files={"filename": (None, _name(ext))}, timeout=15),
                     200).json()
    if put is not None:
        _expect(requests.put(answer["signed_url"], headers=put, data=os.urandom(_size()), timeout=15), 200)
    return answer


def _storage(case, url):
    """Points a storage case at a signed URL."""
    parts = urllib.parse.urlsplit(url)
    _, _, session_id, name = parts.path.split("/", 3)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query["expires"] = int(query["expires"])
    case.path_parameters = {"id": session_id, "name": urllib.parse.unquote(name)}
    case.query = query


OPERATIONS = {
    ("PUT", "/storage/{id}/{name}"): "storagePut",
    ("GET", "/storage/{id}/{name}"): "storageGet",
    ("POST", "/v1/files/{id}/complete"): "completeFile",
    ("GET", "/v1/files/{id}/url"): "getFileDownloadUrl",
    ("GET", "/v2/finalize_upload"): "luwFinalizeUpload",
    ("GET", "/cdn/luwai/{pid}/{name}"): "luwGetFinalFile",
}


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    op = OPERATIONS.get((case.operation.method.upper(), case.operation.path))
    if op == "storagePut":
        body_size = len(case.body) if isinstance(case.body, (bytes, bytearray)) else _size()
        variant = _pick("fresh", "fresh", "exact", "completed", "cancelled", "luw", "knowledge")
        if variant in ("fresh", "exact"):
            session = _create(body_size if variant == "exact" else _size())
        elif variant == "completed":
            session = _completed_file()
        elif variant == "cancelled":
            session = _create(_size())
            _expect(requests.post(f"{BASE}/v1/files/{session['id']}/cancel", headers=LF, timeout=15), 200)
        elif variant == "luw":
            _storage(case, _luw(_rng.choice(["png", "glb", "svg"]))["signed_url"])
            return
        elif variant == "knowledge":
            session = _create(max(body_size, 1), purpose="knowledge_user", mime="text/markdown", ext="md")
            case.headers = {**(case.headers or {}), "Content-Type": "text/markdown", "If-None-Match": "*"}
        else:
            return
        _storage(case, session["uploadUrl"])
    elif op == "storageGet":
        if _pick("download"):
            session = _completed_file()
            url = _expect(requests.get(f"{BASE}/v1/files/{session['id']}/url", headers=LF, timeout=15), 200).json()["url"]
            _storage(case, url)
    elif op == "completeFile":
        variant = _pick("exact", "short", "completed")
        if variant:
            size = _size()
            session = _create(size + (1 if variant == "short" else 0))
            _put(session, os.urandom(size))
            if variant == "completed":
                _complete(session)
            case.path_parameters = {"id": session["id"]}
    elif op == "getFileDownloadUrl":
        if _pick("completed"):
            case.path_parameters = {"id": _completed_file()["id"]}
    elif op == "luwFinalizeUpload":
        if _pick("uploaded"):
            case.query = {"url": _luw(put={"Content-Type": "image/png"})["final_url"]}
    elif op == "luwGetFinalFile":
        variant = _pick("png", "html", "glb")
        if variant:
            headers = {"Cache-Control": "max-age=315360000", "Expires": "Sun, 19 Jul 2030 18:06:32 GMT"}
            ext = "glb" if variant == "glb" else "png"
            if variant == "png":
                headers["Content-Type"] = "image/png"
            elif variant == "html":
                headers["Content-Type"] = "text/html"
            final = _luw(ext, put=headers)["final_url"]
            pid, name = urllib.parse.urlsplit(final).path.split("/")[-2:]
            case.path_parameters = {"pid": int(pid), "name": urllib.parse.unquote(name)}
PY

schema=${ST_SCHEMA:-$base/openapi.json}
report_args=()
if [ -n "${ST_REPORT_DIR:-}" ]; then
    mkdir -p "$ST_REPORT_DIR"
    report_args=(--report junit --report-dir "$ST_REPORT_DIR")
fi
seed_args=()
[ "$SEED" = random ] || seed_args=(--seed "$SEED")
# shellcheck disable=SC2206
extra_args=(${ST_EXTRA_ARGS:-})

cmd=(st run "$schema"
    --url "$base"
    --wait-for-schema 30
    -H "Authorization: Bearer $key"
    -H "Lightfield-Version: 2026-03-01"
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
    --phases examples,coverage,fuzzing,stateful
    --max-examples "$MAX_EXAMPLES"
    "${seed_args[@]}"
    --workers "$WORKERS"
    --request-timeout 15
    --generation-database none
    --continue-on-failure
    --suppress-health-check too_slow,filter_too_much
    --no-color
    "${report_args[@]}"
    "${extra_args[@]}")
echo "+ ${cmd[*]//$key/<key>}"
HOIST_ST_BASE="$base" HOIST_ST_KEY="$key" HOIST_ST_SEED="$SEED" SCHEMATHESIS_HOOKS=hoist_st_hooks \
    PYTHONPATH="$work${PYTHONPATH:+:$PYTHONPATH}" timeout --kill-after=10 "$RUN_TIMEOUT" "${cmd[@]}"
st_status=$?

alive=yes
kill -0 "$server_pid" 2>/dev/null || alive=no
if [ "$alive" = no ]; then
    echo "--- hoist serve died during the run; its log (fatal lines, then the start of the rest):" >&2
    grep -m 5 -iE "fatal|panic|error:" "$work/server.err" >&2
    grep -m 30 -E " at /" "$work/server.err" | grep -v "/.build/checkouts/hummingbird\|<compiler-generated>" | head -n 12 >&2
fi
stop_server

if [ "$st_status" -eq 0 ] && [ "$alive" = yes ]; then
    summary "PASS against $schema"
    exit 0
fi
why="st exited $st_status"
[ "$st_status" -eq 124 ] && why="st timed out after $RUN_TIMEOUT s"
[ "$alive" = no ] && why="$why; the server died"
summary "FAIL ($why)"
exit 1

import Foundation

/// The peer hoist is measured against: curl, used as a user would.
enum CurlPeer {
    /// One file's whole Lightfield lifecycle in three curl calls (create, PUT with exactly
    /// the returned `uploadHeaders`, complete). The create answer is read with bash's own
    /// regex matching and the size comes in the argument list, so the loop costs curl
    /// processes only, not jq or stat ones: the peer is as fast as a shell loop gets. Any
    /// failure exits non-zero, which makes `xargs` exit 123.
    static let lifecycleScript = #"""
        #!/bin/bash
        # usage: lifecycle.sh SIZE FILE   (HOIST_BENCH_ENDPOINT, HOIST_BENCH_API_KEY in the environment)
        set -euo pipefail
        size="$1"
        file="$2"
        name="${file##*/}"
        auth="Authorization: Bearer $HOIST_BENCH_API_KEY"
        version="Lightfield-Version: 2026-03-01"
        created=$(curl -sS -f -X POST "$HOIST_BENCH_ENDPOINT/v1/files" -H "$auth" -H "$version" \
            -H "Content-Type: application/json" \
            -d "{\"purpose\":\"general\",\"filename\":\"$name\",\"mimeType\":\"text/plain\",\"sizeBytes\":$size}")
        [[ $created =~ \"id\":\"([^\"]+)\" ]] && id="${BASH_REMATCH[1]}"
        [[ $created =~ \"uploadUrl\":\"([^\"]+)\" ]] && url="${BASH_REMATCH[1]//\\\//\/}"
        [[ $created =~ \"uploadHeaders\":\{([^}]*)\} ]] && pairs="${BASH_REMATCH[1]}"
        headers=()
        while [[ ${pairs:-} =~ \"([^\"]+)\":\"([^\"]*)\"(.*) ]]; do
            headers+=(-H "${BASH_REMATCH[1]}: ${BASH_REMATCH[2]//\\\//\/}")
            pairs="${BASH_REMATCH[3]}"
        done
        curl -sS -f -o /dev/null -T "$file" "${headers[@]}" "$url"
        curl -sS -f -o /dev/null -X POST "$HOIST_BENCH_ENDPOINT/v1/files/$id/complete" -H "$auth" -H "$version" \
            -H "Content-Type: application/json" -d '{}'
        """#

    /// `curl -T FILE URL` with the session's headers: a plain PUT of one file, nothing hidden.
    static func putArguments(file: String, url: String, headers: [(String, String)]) -> [String] {
        var arguments = ["-sS", "-f", "-o", "/dev/null", "-T", file]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        return arguments + [url]
    }
}

import Foundation

/// The peer hoist is measured against: curl, used as a user would.
enum CurlPeer {
    /// One file's whole Lightfield lifecycle in three curl calls (create, PUT with exactly
    /// the returned `uploadHeaders`, complete), one `jq` to read the create answer. Any
    /// failure exits non-zero, which makes `xargs` exit 123.
    static let lifecycleScript = #"""
        #!/bin/bash
        # usage: lifecycle.sh FILE   (HOIST_BENCH_ENDPOINT, HOIST_BENCH_API_KEY in the environment)
        set -euo pipefail
        file="$1"
        name="${file##*/}"
        size=$(stat -c %s "$file")
        auth="Authorization: Bearer $HOIST_BENCH_API_KEY"
        version="Lightfield-Version: 2026-03-01"
        created=$(curl -sS -f -X POST "$HOIST_BENCH_ENDPOINT/v1/files" -H "$auth" -H "$version" \
            -H "Content-Type: application/json" \
            -d "{\"purpose\":\"general\",\"filename\":\"$name\",\"mimeType\":\"text/plain\",\"sizeBytes\":$size}")
        mapfile -t fields < <(printf '%s' "$created" | jq -r '.id, .uploadUrl, (.uploadHeaders // {} | to_entries[] | "\(.key): \(.value)")')
        headers=()
        for header in "${fields[@]:2}"; do headers+=(-H "$header"); done
        curl -sS -f -o /dev/null -T "$file" "${headers[@]}" "${fields[1]}"
        curl -sS -f -o /dev/null -X POST "$HOIST_BENCH_ENDPOINT/v1/files/${fields[0]}/complete" -H "$auth" -H "$version" \
            -H "Content-Type: application/json" -d '{}'
        """#

    /// `curl -T FILE URL` with the session's headers: a plain PUT of one file, nothing hidden.
    static func putArguments(file: String, url: String, headers: [(String, String)]) -> [String] {
        var arguments = ["-sS", "-f", "-o", "/dev/null", "-T", file]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        return arguments + [url]
    }
}

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

    /// Creates a Lightfield session with one curl call, run where the workspace runs its
    /// clients (with `--wan`, a namespace the bench's own HTTP client cannot reach): the
    /// signed upload URL and exactly the headers it must be sent with.
    static func createSession(in workspace: BenchWorkspace, name: String, size: Int64) async throws -> (url: String, headers: [(String, String)]) {
        let body = #"{"purpose":"general","filename":"\#(name)","mimeType":"application/octet-stream","sizeBytes":\#(size)}"#
        // The key comes from the environment, as in the lifecycle script, not the command line.
        let script = #"exec curl -sS -f -X POST "$HOIST_BENCH_ENDPOINT/v1/files" -H "Authorization: Bearer $HOIST_BENCH_API_KEY" "#
            + #"-H "Lightfield-Version: 2026-03-01" -H "Content-Type: application/json" -d "$1""#
        let child = workspace.client("bash", ["-c", script, "bash", body], run: "curl", name: "curl-create-\(name)", timeout: .seconds(60))
        let outcome = try await child.run()
        let answer = (try? Data(contentsOf: URL(fileURLWithPath: child.stdoutPath))) ?? Data()
        guard outcome.succeeded,
              let created = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any],
              let url = created["uploadUrl"] as? String
        else {
            let errors = (try? String(contentsOfFile: child.stderrPath, encoding: .utf8)) ?? ""
            throw BenchError("creating a session with curl failed (\(outcome.summary)): \(errors.suffix(300))\(String(decoding: answer, as: UTF8.self).prefix(300))")
        }
        let headers = ((created["uploadHeaders"] as? [String: String]) ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return (url, headers)
    }

    /// `curl -T FILE URL` with the session's headers: a plain PUT of one file, nothing hidden.
    static func putArguments(file: String, url: String, headers: [(String, String)]) -> [String] {
        var arguments = ["-sS", "-f", "-o", "/dev/null", "-T", file]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        return arguments + [url]
    }
}

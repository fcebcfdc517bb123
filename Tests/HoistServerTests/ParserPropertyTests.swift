import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PropertyBased
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import HoistServer

/// Examples per property: a few hundred keep the normal suite fast; long fuzzing runs set
/// `HOIST_FUZZ_COUNT` (each run draws fresh seeds).
private let fuzzCount = ProcessInfo.processInfo.environment["HOIST_FUZZ_COUNT"].flatMap(Int.init) ?? 300

/// Every parser that reads client input, fed random and mutated input: none may trap, and
/// each either accepts or refuses with the API's 4xx error.
@Suite("Parser fuzzing (property-based)")
struct ParserPropertyTests {
    // MARK: Luw upload forms

    @Test("LuwUploadForm.parse: random and mutated forms are parsed or refused with 400 invalid_request")
    func luwUploadForms() async {
        var known: [String: Int] = [:]
        await propertyCheck(count: fuzzCount, input: FormCase.generator) { form in
            // A form that gets past the guard to a MultipartKit that would trap is a failure,
            // recorded instead of run (running it would kill the test process).
            if KnownBug.multipartKitTraps(form) {
                Issue.record("gets past MultipartHeaderGuard to a MultipartKit trap: \(form)")
                return
            }
            CrashWitness.trying(.luwForm, form.description)
            defer { CrashWitness.done(.luwForm) }
            switch attempt({ () throws(APIError) in try LuwUploadForm.parse(ByteBuffer(bytes: form.body), contentType: form.contentType) }) {
            case .success(let parsed):
                switch form.expect {
                case .anything: break
                case .refused(let why):
                    Issue.record("parsed as \(describe(parsed)), but a 400 was due: \(why)")
                case .parsed(let filename, let pid):
                    #expect(sameScalars(parsed.filename, filename) && sameScalars(parsed.pid, pid),
                            "parsed as \(describe(parsed)), encoded filename \(filename.map(literal) ?? "nil"), pid \(pid.map(literal) ?? "nil")")
                }
            case .failure(let error):
                #expect(error.status == .badRequest && error.code == "invalid_request", "\(error)")
                if case .parsed = form.expect { Issue.record("a well-formed form was refused: \(error)") }
            }
        }
        summary("LuwUploadForm.parse", known: known)
    }

    // MARK: Lightfield create body

    @Test("CreateFileSpec: a spec within its purpose's limits with a sanitised name, or a 4xx APIError")
    func createFileSpecs() async {
        await propertyCheck(count: fuzzCount, input: SpecCase.generator) { spec in
            CrashWitness.trying(.createSpec, spec.description)
            defer { CrashWitness.done(.createSpec) }
            let policy = PurposePolicy.standard
            let caller = Caller(userId: "usr_fuzz", scopes: [Caller.create, Caller.read], isAdmin: spec.isAdmin, personas: [1])
            do {
                let made = try CreateFileSpec(json: Data(spec.json), policy: policy, caller: caller)
                #expect(made.rule == policy.rules[made.purpose])
                #expect((1...made.rule.maxBytes).contains(made.sizeBytes), "sizeBytes \(made.sizeBytes)")
                #expect(sameScalars(try? FileNames.sanitize(made.filename), made.filename), "filename \(literal(made.filename))")
                #expect(!made.mimeType.isEmpty && (made.rule.mimeTypes?.contains(made.mimeType) ?? true), "mimeType \(literal(made.mimeType))")
                #expect(!made.rule.requiresAdmin || spec.isAdmin)
                switch spec.expect {
                case .anything: break
                case .refused(let why): Issue.record("accepted, but a 4xx was due: \(why)")
                case .accepted(let purpose, let filename, let mimeType, let size):
                    #expect(made.purpose == purpose && made.sizeBytes == size && made.mimeType == mimeType)
                    #expect(sameScalars(made.filename, filename), "filename \(literal(made.filename)), expected \(literal(filename))")
                }
            } catch let error as APIError {
                #expect((400...499).contains(error.status.code), "\(error)")
                if case .accepted = spec.expect { Issue.record("a valid body was refused: \(error)") }
            } catch {
                Issue.record("threw \(type(of: error)), not an APIError: \(error)")
            }
        }
        summary("CreateFileSpec(json:policy:caller:)", known: [:])
    }

    // MARK: File names

    @Test("FileNames.sanitize: a safe NFC name of 1 to 255 bytes, or 400 invalid_filename")
    func sanitizedNames() async {
        var known: [String: Int] = [:]
        await propertyCheck(count: fuzzCount, input: Names.raw.map { Probe($0) }) { probe in
            let raw = probe.text
            CrashWitness.trying(.sanitize, "FileNames.sanitize(\(literal(raw)))")
            defer { CrashWitness.done(.sanitize) }
            switch attempt({ () throws(APIError) in try FileNames.sanitize(raw) }) {
            case .success(let name):
                let traits = unsafeTraits(ofSanitized: name)
                #expect(traits == [], "sanitize(\(literal(raw))) = \(literal(name))")
                #expect(sameScalars(try? FileNames.sanitize(name), name), "sanitize is not idempotent on \(literal(name))")
            case .failure(let error):
                #expect(error.status == .badRequest && error.code == "invalid_filename", "\(error)")
            }
        }
        summary("FileNames.sanitize", known: known)
    }

    @Test("FileNames.stamp keeps the extension where it fits in 255 bytes with the stamp (else a prefix of it), stays within 255 bytes, and never traps")
    func stampedNames() async {
        let names = weighted([(1, Names.raw), (1, Names.accepted)])
        let millis = weighted([(4, Gen.int64().eraseToAny()), (1, custom { rng in pick([Int64.min, Int64.max, 0, -1], &rng) })])
        await propertyCheck(count: fuzzCount, input: zip(names, millis).map { Probe(text: $0, number: $1) }) { probe in
            CrashWitness.trying(.stamp, "FileNames.stamp(\(probe))")
            defer { CrashWitness.done(.stamp) }
            let stamped = FileNames.stamp(probe.text, millis: probe.number)
            let original = FileNames.fileExtension(probe.text), kept = FileNames.fileExtension(stamped)
            #expect(stamped.utf8.count <= FileNames.maximumBytes, "stamp(\(literal(probe.text))) = \(literal(stamped))")
            // An extension that does not fit beside the stamp is cut: the name's 255 bytes come first.
            if original.utf8.count + 1 + "_\(probe.number)".utf8.count <= FileNames.maximumBytes {
                #expect(sameScalars(kept, original), "stamp(\(literal(probe.text))) = \(literal(stamped))")
            } else {
                #expect(original.hasPrefix(kept), "stamp(\(literal(probe.text))) = \(literal(stamped))")
            }
            #expect(containsBytes(stamped, "_\(probe.number)"), "stamp(\(literal(probe.text))) = \(literal(stamped))")
        }
        summary("FileNames.stamp", known: [:])
    }

    // MARK: Signed storage URLs and final URLs

    @Test("StorageGate: random targets and queries never trap and are refused with 403")
    func randomStorageTargets() async {
        await propertyCheck(count: fuzzCount, input: StorageProbe.generator) { probe in
            CrashWitness.trying(.storageRandom, probe.description)
            defer { CrashWitness.done(.storageRandom) }
            let gate = StorageGate(signer: URLSigner(secret: Data(probe.secret)))
            var targets: [StorageGate.Target] = []
            if let parsed = StorageGate.Target(path: probe.path) { targets.append(parsed) }
            if let built = StorageGate.Target(sessionId: probe.sessionId, encodedName: probe.encodedName, query: probe.query) {
                targets.append(built)
            }
            for target in targets {
                _ = target.dialect
                _ = target.signedPath
                let outcome = attempt { () throws(APIError) in
                    try gate.check(method: probe.method, target: target, headers: probe.headers, session: nil, now: probe.now)
                }
                if case .failure(let error) = outcome {
                    #expect(error.status == .forbidden, "\(error)")
                } else {
                    Issue.record("an unsigned or randomly signed URL passed the gate")
                }
            }
        }
        summary("StorageGate.Target/check (random)", known: [:])
    }

    @Test("StorageGate: a signed URL passes before expiry; expiry, another method and one-character mutations fail with 403")
    func signedStorageURLs() async {
        var mutations: [String: Int] = [:]
        await propertyCheck(count: fuzzCount, input: SignedCase.generator) { signed in
            CrashWitness.trying(.storageSigned, signed.description)
            defer { CrashWitness.done(.storageSigned) }
            mutations[checkSignedURL(signed), default: 0] += 1
        }
        if ProcessInfo.processInfo.environment["HOIST_FUZZ_COUNT"] != nil {
            print("[fuzz] StorageGate signed URLs: \(fuzzCount) examples; mutations: "
                + mutations.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
    }

    @Test("LuwRoutes.objectKey: never traps on random text; a final URL maps back to its object key")
    func finalURLObjectKeys() async {
        await propertyCheck(count: fuzzCount, input: FinalURLProbe.generator) { probe in
            CrashWitness.trying(.objectKey, probe.description)
            defer { CrashWitness.done(.objectKey) }
            if let key = LuwRoutes.objectKey(finalURL: probe.random) {
                let parts = key.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 2, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                #expect(parts.count == 3 && parts[0] == "luwai" && Int64(parts[1]) != nil, "objectKey(\(literal(probe.random))) = \(literal(key))")
            }
            let url = "\(probe.base)/cdn/luwai/\(probe.pid)/\(probe.name.pathSegmentEncoded)"
            let key = LuwRoutes.objectKey(finalURL: url)
            #expect(sameScalars(key, "luwai/\(probe.pid)/\(probe.name)"), "objectKey(\(literal(url))) = \(key.map(literal) ?? "nil")")
        }
        summary("LuwRoutes.objectKey", known: [:])
    }

    // MARK: Host, cursors, dialects, content safety

    @Test("HostCheck.isValidAuthority: never traps; what it accepts is a bare host with a port in 0...65535")
    func authorities() async {
        var known: [String: Int] = [:]
        await propertyCheck(count: fuzzCount, input: Authorities.generator.map { Probe($0) }) { probe in
            let value = probe.text
            CrashWitness.trying(.host, "HostCheck.isValidAuthority(\(literal(value)))")
            defer { CrashWitness.done(.host) }
            guard HostCheck.isValidAuthority(value) else { return }
            #expect(!value.unicodeScalars.contains { "/?#@ \\".unicodeScalars.contains($0) }, "accepted \(literal(value))")
            if let problem = Authorities.portProblem(value) {
                Issue.record("accepted \(literal(value)): \(problem)")
            }
        }
        summary("HostCheck.isValidAuthority", known: known)
    }

    @Test("ListCursor: random tokens never trap; a cursor's token parses back to it")
    func listCursors() async {
        await propertyCheck(count: fuzzCount, input: CursorProbe.generator) { probe in
            CrashWitness.trying(.cursor, probe.description)
            defer { CrashWitness.done(.cursor) }
            let parsed = ListCursor(token: probe.token)
            if let expected = probe.expected {
                #expect(parsed?.createdAtMillis == expected.millis && sameScalars(parsed?.id, expected.id),
                        "ListCursor(token:) = \(parsed.map { "\($0.createdAtMillis) \(literal($0.id))" } ?? "nil")")
            }
            if probe.refused { #expect(parsed == nil, "an id no session has, taken") }
            if let parsed {
                let again = ListCursor(token: Data("\(parsed.createdAtMillis)|\(parsed.id)".utf8).base64EncodedString())
                #expect(again == parsed)
            }
            let cursor = ListCursor(createdAt: Date(millis: probe.millis), id: probe.id)
            let back = ListCursor(token: cursor.token)
            #expect(back?.createdAtMillis == cursor.createdAtMillis && sameScalars(back?.id, probe.id),
                    "token \(cursor.token) parsed as \(back.map { "\($0.createdAtMillis) \(literal($0.id))" } ?? "nil")")
        }
        summary("ListCursor(token:)", known: [:])
    }

    @Test("Dialect.forPath: never traps; /v2 and /cdn are Luw, a upl_ storage path is Luw, the rest Lightfield")
    func dialects() async {
        await propertyCheck(count: fuzzCount, input: Paths.dialectGenerator.map { Probe($0) }) { probe in
            let path = probe.text
            CrashWitness.trying(.dialect, "Dialect.forPath(\(literal(path)))")
            defer { CrashWitness.done(.dialect) }
            let segments = path.split(separator: "/")
            let expected: Dialect
            switch segments.first {
            case "v2", "cdn": expected = .luw
            case "storage": expected = segments.count > 1 && segments[1].hasPrefix("upl_") ? .luw : .lightfield
            default: expected = .lightfield
            }
            #expect(Dialect.forPath(path) == expected, "forPath(\(literal(path)))")
        }
        summary("Dialect.forPath", known: [:])
    }

    @Test("ContentSafety: never traps; what a browser would run is an attachment; the attachment header is one safe line")
    func contentSafety() async {
        var known: [String: Int] = [:]
        await propertyCheck(count: fuzzCount, input: zip(Names.contentTypes, weighted([(1, Names.raw), (1, Names.accepted)]))
            .map { Probe(text: $0, other: $1) }) { probe in
            let contentType = probe.text, filename = probe.other
            CrashWitness.trying(.contentSafety, "ContentSafety(\(probe))")
            defer { CrashWitness.done(.contentSafety) }
            let essence = ContentSafety.essence(of: contentType)
            if !essence.isEmpty {
                #expect(essence.unicodeScalars.contains("/") && sameScalars(essence.lowercased(), essence)
                        && sameScalars(ContentSafety.essence(of: essence), essence),
                        "essence(\(literal(contentType))) = \(literal(essence))")
            }
            // What a browser takes the type to be (up to the first `;` byte, HTTP whitespace
            // trimmed): if it would run it, the server must send it as an attachment.
            if let seen = browserEssence(contentType), ContentSafety.isScriptCapable(seen), !ContentSafety.isScriptCapable(essence) {
                Issue.record("a browser reads \(literal(contentType)) as \(seen), but the server's essence is \(literal(essence))")
            }

            let header = ContentSafety.attachment(filename)
            #expect(!header.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" }, "attachment = \(literal(header))")
            let prefix = "attachment; filename=\""
            #expect(header.hasPrefix(prefix), "attachment = \(literal(header))")
            let quoted = header.unicodeScalars.dropFirst(prefix.unicodeScalars.count).prefix { $0 != "\"" }
            #expect(quoted.count == filename.unicodeScalars.count, "the quoted name ends early: \(literal(header))")
            #expect(!quoted.contains { $0 == "\\" || !$0.isASCII || $0.value < 0x20 }, "attachment = \(literal(header))")
            if (try? FileNames.sanitize(filename)) != nil {
                #expect(HTTPField.isValidValue(header), "not a valid header value: \(literal(header))")
            }

            var headers = HTTPFields()
            ContentSafety.apply(to: &headers, contentType: contentType, filename: filename)
            #expect(headers[.xContentTypeOptions] == "nosniff" && headers[.contentType] != nil)
        }
        summary("ContentSafety", known: known)
    }

    // MARK: Bugs this fuzzing found, fixed

    // Each was found by the properties above and is kept here by its minimal input.

    @Test("Fixed: FileNames.sanitize lets a / or \\ through when a combining mark follows it")
    func knownSeparatorWithMark() {
        do {
            #expect(throws: APIError.self) { try FileNames.sanitize("a/\u{338}b") }
            #expect(throws: APIError.self) { try FileNames.sanitize("\\\u{301}x") }
        }
    }

    @Test("Fixed: HostCheck.isValidAuthority accepts a port beyond Int.max")
    func knownPortBeyondInt() {
        do {
            #expect(!HostCheck.isValidAuthority("h:9223372036854775808"))
        }
    }

    @Test("Fixed: HostCheck.isValidAuthority accepts a # (a fragment) when a combining mark follows it")
    func knownHashWithMark() {
        do {
            #expect(!HostCheck.isValidAuthority("h#\u{301}"))
        }
    }

    @Test("Fixed: a multipart file name that starts with a combining mark keeps its quotes")
    func knownQuotedFileNameWithMark() throws {
        let body = "--B\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"\u{301}a.jpg\"\r\n\r\nx\r\n--B--\r\n"
        let form = try LuwUploadForm.parse(ByteBuffer(string: body), contentType: "multipart/form-data; boundary=B")
        do {
            #expect(sameScalars(form.filename, "\u{301}a.jpg"), "parsed \(form.filename.map(literal) ?? "nil")")
        }
    }

    @Test("Fixed: a bare LF in a part's header value lets a non-ASCII header name past the guard, and MultipartKit traps")
    func knownGuardMissesBareLF() throws {
        // Run in this process, not as an exit test: once an exit test has run, swift-testing's
        // child-waiting thread spins on every other child the tests start until that child is
        // reaped (9 % of a full run's CPU). A trap here still fails the run, loudly.
        let body = Array("--B\r\na: b\n\r\n\u{80}: c\r\n\r\nx\r\n--B--\r\n".utf8)
        #expect(throws: APIError.self) {
            try LuwUploadForm.parse(ByteBuffer(bytes: body), contentType: "multipart/form-data; boundary=B")
        }
    }

    @Test("Fixed: ContentSafety.essence misses a ; joined to a combining mark, so text/html is served inline")
    func knownSemicolonWithMark() {
        do {
            #expect(ContentSafety.isScriptCapable(ContentSafety.essence(of: "text/html;\u{301}")))
        }
    }

    @Test("Fixed: a multipart body cut right after a delimiter parses as the shorter form")
    func knownCutAfterDelimiter() {
        let body = "--B\r\nContent-Disposition: form-data; name=\"pid\"\r\n\r\n7\r\n--B\r\n"
        do {
            #expect(throws: APIError.self) {
                try LuwUploadForm.parse(ByteBuffer(string: body), contentType: "multipart/form-data; boundary=B")
            }
        }
    }
}

// MARK: - Signed URL checks

/// Checks one signed URL and its mutation; says what became of the mutation.
@discardableResult
private func checkSignedURL(_ c: SignedCase) -> String {
    let signer = URLSigner(secret: Data(c.secret))
    let gate = StorageGate(signer: signer)
    let url = gate.url(base: c.base, method: c.method.rawValue, sessionId: c.sessionId, name: c.name,
                       expires: Date(timeIntervalSince1970: TimeInterval(c.expires)), headers: c.headers)
    guard let target = StorageGate.Target(path: url) else {
        Issue.record("the gate cannot parse its own URL \(literal(url))")
        return "own URL unparseable"
    }
    #expect(target.sessionId == c.sessionId && sameScalars(target.name, c.name), "\(literal(url)) parsed as \(target.sessionId) \(literal(target.name))")
    let before = Date(timeIntervalSince1970: Double(c.expires) - c.secondsBefore)
    let session = SessionRecord(
        id: c.sessionId, dialect: SessionID.dialect(of: c.sessionId), userId: "usr_fuzz", purpose: nil, filename: c.name,
        objectKey: "fuzz/\(c.name)", mimeType: "application/octet-stream", sizeBytes: nil, status: .pending, md5: nil,
        createdAt: before, completedAt: nil, expiresAt: before.addingTimeInterval(3600), pid: nil, requiredHeaders: "")
    var fields = HTTPFields()
    for (name, value) in c.headers { fields[HTTPField.Name(c.requestCasing(name))!] = value }

    func outcome(_ method: HTTPRequest.Method, _ target: StorageGate.Target, _ fields: HTTPFields, at now: Date) -> APIError? {
        do {
            try gate.check(method: method, target: target, headers: fields, session: session, now: now)
            return nil
        } catch {
            return error
        }
    }

    if let error = outcome(c.method, target, fields, at: before) {
        Issue.record("its own URL \(literal(url)) was refused before expiry: \(error)")
    }
    let after = Date(timeIntervalSince1970: Double(c.expires) + c.secondsAfter)
    let expired = outcome(c.method, target, fields, at: after)
    #expect(expired?.status == .forbidden && expired?.code == "expired", "at expiry: \(expired.map { "\($0)" } ?? "accepted")")
    let otherMethod: HTTPRequest.Method = c.method == .put ? .get : .put
    let crossed = outcome(otherMethod, target, fields, at: before)
    #expect(crossed?.status == .forbidden, "\(otherMethod) with a \(c.method) URL: \(crossed.map { "\($0)" } ?? "accepted")")
    if let first = c.headers.first {
        let (name, value) = first
        var changed = fields
        changed[HTTPField.Name(name)!] = value + "x"
        let wrong = outcome(c.method, target, changed, at: before)
        #expect(wrong?.status == .forbidden, "a changed signed header: \(wrong.map { "\($0)" } ?? "accepted")")
        var missing = fields
        missing[HTTPField.Name(name)!] = nil
        let absent = outcome(c.method, target, missing, at: before)
        #expect(absent?.status == .forbidden, "a missing signed header: \(absent.map { "\($0)" } ?? "accepted")")
    }

    guard let mutated = c.mutation.apply(to: url, base: c.base) else { return "not applicable" }
    CrashWitness.trying(.storageSigned, "\(c.description); mutated URL \(literal(mutated))")
    // A URL the gate cannot take apart never reaches a handler: refused as well.
    guard let changed = StorageGate.Target(path: mutated) else { return "unparseable" }
    let result = outcome(c.method, changed, fields, at: before)
    if SignedShape(changed) == SignedShape(target) {
        // The same request after decoding (e.g. `%2f` for `%2F`, `%31` for `1`).
        #expect(result == nil, "\(literal(mutated)) means the same as \(literal(url)) but was refused: \(result.map { "\($0)" } ?? "")")
        return "equivalent, accepted"
    } else {
        #expect(result?.status == .forbidden,
                "mutated \(literal(url)) to \(literal(mutated)): \(result.map { "\($0)" } ?? "accepted")")
        return "changed, " + (result.map { "\($0.status.code) \($0.code)" } ?? "accepted")
    }
}

/// What a storage target's signature covers, as the gate decodes it.
private struct SignedShape: Equatable {
    var sessionId: [Unicode.Scalar]
    var name: [Unicode.Scalar]
    /// As written: `0N` and `+N` are other URLs than `N` (one spelling is signed).
    var expires: String?
    var sig: String?
    var headerNames: [String]

    init(_ target: StorageGate.Target) {
        sessionId = Array(target.sessionId.unicodeScalars)
        name = Array(target.name.unicodeScalars)
        expires = target.query["expires"]
        sig = target.query["sig"]?.lowercased()
        headerNames = (target.query["h"] ?? "").split(separator: ";").map { $0.lowercased() }
    }
}

/// A model of MultipartKit 4.7.1's parser, to tell inputs that would trap in it.
private enum KnownBug {
    /// Whether the form gets past `MultipartHeaderGuard` to a MultipartKit 4.7.1 parser that
    /// traps: one that reads a byte of 0x80 or more where it expects a header name. Emulates
    /// that parser's state machine (MultipartParser.swift) byte by byte.
    static func multipartKitTraps(_ form: FormCase) -> Bool {
        guard let contentType = form.contentType, MediaType(from: contentType)?.isType(.multipartForm) == true,
              let boundary = FormError.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.utf8.count <= 70,
              MultipartHeaderGuard.namesAreASCII(form.body, boundary: boundary)
        else { return false }
        enum State { case preamble(Int), crlf(expectingCR: Bool), name(empty: Bool), value, valueLF, headersLF, body, boundary(Int), epilogue }
        let delimiter = Array("\r\n--\(boundary)".utf8)
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        var state = State.preamble(0)
        var index = 0
        while index < form.body.count {
            let byte = form.body[index]
            index += 1
            switch state {
            case .preamble(var match):
                if match == 0, byte == delimiter[2] { match = 3 }
                else if byte == delimiter[match] { match += 1 }
                else if match > 0, byte == delimiter[0] { match = 1 }
                else { match = 0 }
                state = match >= delimiter.count ? .crlf(expectingCR: true) : .preamble(match)
            case .crlf(let expectingCR):
                guard byte == (expectingCR ? 13 : 10) else { return false }
                state = expectingCR ? .crlf(expectingCR: false) : .name(empty: true)
            case .name(let empty):
                if byte == 58, !empty { state = .value }
                else if byte == 13, empty { state = .headersLF }
                else if byte >= 0x80 { return true }
                else if tchar.contains(byte) { state = .name(empty: false) }
                else { return false }
            case .value:
                if byte == 13 { state = .valueLF }
            case .valueLF:
                guard byte == 10 else { return false }
                state = .name(empty: true)
            case .headersLF:
                guard byte == 10 else { return false }
                state = .body
            case .body:
                if byte == delimiter[0] { state = .boundary(1) }
            case .boundary(let match):
                if match >= delimiter.count {
                    if byte == 13 { state = .crlf(expectingCR: false) }
                    else if byte == 45 { state = .epilogue }
                    else { return false }
                } else if byte == delimiter[match] {
                    state = .boundary(match + 1)
                } else {
                    state = byte == delimiter[0] ? .boundary(1) : .body
                }
            case .epilogue:
                return false
            }
        }
        return false
    }
}

// MARK: - Inputs

/// A string (or two, or a string and a number) that prints unambiguously when a property fails.
private struct Probe: Sendable, CustomStringConvertible {
    var text: String
    var other: String = ""
    var number: Int64 = 0

    init(_ text: String) { self.text = text }
    init(text: String, other: String = "", number: Int64 = 0) {
        self.text = text
        self.other = other
        self.number = number
    }

    var description: String { "\(literal(text)), \(literal(other)), \(number)" }
}

/// A body and content type for `LuwUploadForm.parse`, with what the parser must make of it.
private struct FormCase: Sendable, CustomStringConvertible {
    enum Expect: Sendable {
        case anything
        case refused(String)
        case parsed(filename: String?, pid: String?)
    }

    var how: String
    var body: [UInt8]
    var contentType: String?
    var expect: Expect
    /// The boundary the body was built with, for a multipart form.
    var boundary: String? = nil

    var description: String {
        "LuwUploadForm.parse(\(literal(bytes: body)), contentType: \(contentType.map(literal) ?? "nil")) [\(how)], expecting \(expect)"
    }

    struct Field: Sendable {
        var name: String
        var value: String
        var asFile: Bool
        var content: [UInt8]
    }

    static let generator: G<FormCase> = weighted([
        (6, custom { rng in structured(&rng) }),
        (1, custom { rng in
            FormCase(how: "random bytes", body: randomBytes(0...300, &rng), contentType: contentTypes.run(using: &rng), expect: .anything)
        }),
        (2, custom { rng in
            var text = ""
            for _ in 0..<below(12, &rng) { text += pick(formPieces, &rng) + (chance(0.3, &rng) ? formValues.run(using: &rng) : "") }
            return FormCase(how: "form-ish text", body: Array(text.utf8), contentType: contentTypes.run(using: &rng), expect: .anything)
        }),
    ])

    static let formPieces = [
        "filename", "pid", "=", "&", "%", "%E9", "%C3%A9", "%2", "%%", "+", "[]", "[", "]", "[0]", "--", "\r\n", "\r\n\r\n",
        "--XYZ", "--XYZ--", "Content-Disposition: form-data; name=\"filename\"", "Content-Disposition: form-data; name=pid",
        "; filename=\"a.jpg\"", "\"", ";", ":", "\u{0}", "\u{FF}", "é", "\u{202E}",
    ]

    static let contentTypes: G<String?> = weighted([
        (2, custom { rng in pick(fixedContentTypes, &rng) }),
        (2, custom { rng -> String? in realContentType(multipart: chance(0.5, &rng), boundary: boundaries.run(using: &rng), &rng) }),
        (1, text(0...40).map { (text: String) -> String? in text }.eraseToAny()),
        (1, custom { rng -> String? in "multipart/form-data; boundary=" + text(0...80).run(using: &rng) }),
    ])

    static let fixedContentTypes: [String?] = [
        nil, "", " ", "/", ";", "=", "multipart/", "/form-data", "multipart/form-data", "multipart/form-data;",
        "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"", "multipart/form-data; boundary=\"XYZ",
        "multipart/form-data; boundary=" + String(repeating: "b", count: 71), "multipart/form-data; boundary=XYZ; boundary=ABC",
        "multipart/form-data; =XYZ", "multipart/form-data; boundary=XYZ", "Multipart/Form-Data; BOUNDARY=XYZ",
        "multipart/mixed; boundary=XYZ", "multipart/form-data; charset=\"a;b\"; boundary=XYZ",
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin1", "application/json",
        "text/plain", "application/x-www-form-urlencoded;", "application/x-www-form-urlencoded; =", "\u{0}/\u{0}",
        "multipart/form-data; boundary=\u{0}", "multipart/form-data; boundary=\r\n--XYZ",
    ]

    /// RFC 2046 boundaries: 1 to 70 of `bchars`, not ending in a space.
    static let boundaries: G<String> = custom { rng in
        let bchars = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=? ")
        let length = chance(0.8, &rng) ? Int.random(in: 1...16, using: &rng) : Int.random(in: 1...70, using: &rng)
        var boundary = String((0..<length).map { _ in pick(bchars, &rng) })
        if boundary.hasSuffix(" ") { boundary = String(boundary.dropLast()) + "z" }
        return boundary
    }

    /// A form content type, in random letter case, with the parameters clients send.
    static func realContentType(multipart: Bool, boundary: String, _ rng: inout RNG) -> String {
        func cased(_ text: String, _ rng: inout RNG) -> String {
            chance(0.7, &rng) ? text : String(text.map { chance(0.5, &rng) ? Character($0.uppercased()) : $0 })
        }
        if !multipart {
            let type = cased("application/x-www-form-urlencoded", &rng)
            return chance(0.3, &rng) ? type + pick(["; charset=utf-8", ";charset=UTF-8", "; charset=\"utf-8\""], &rng) : type
        }
        let needsQuotes = boundary.unicodeScalars.contains { "()<>@,;:\\\"/[]?.= ".unicodeScalars.contains($0) }
        let value = needsQuotes || chance(0.2, &rng) ? "\"\(boundary)\"" : boundary
        let parameter = cased("boundary", &rng) + "=" + value
        let type = cased("multipart/form-data", &rng)
        switch below(4, &rng) {
        case 0: return type + "; charset=utf-8; " + parameter
        case 1: return type + ";" + parameter
        default: return type + "; " + parameter
        }
    }

    static let formValues: G<String> = weighted([
        (4, text(0...20)),
        (1, Gen.int64().map { String($0) }.eraseToAny()),
        (2, Names.plain),
    ])

    /// A valid form from generated fields, then (usually) one mutation.
    static func structured(_ rng: inout RNG) -> FormCase {
        let multipart = chance(0.5, &rng)
        var fields: [Field] = []
        for _ in 0..<below(5, &rng) {
            let name = chance(0.75, &rng) ? pick(["filename", "pid", "other", "note"], &rng) : httpToken(1...10, &rng)
            guard !fields.contains(where: { $0.name == name }) else { continue }
            var value = name == "pid" && chance(0.5, &rng) ? String(Int64.random(in: .min ... .max, using: &rng)) : formValues.run(using: &rng)
            let asFile = multipart && chance(name == "filename" ? 0.4 : 0.1, &rng)
            if asFile {
                // A file name travels inside the part's header: no `;`, CR or LF there.
                value.unicodeScalars.removeAll { $0 == ";" || $0 == "\r" || $0 == "\n" }
            }
            fields.append(Field(name: name, value: value, asFile: asFile, content: asFile ? randomBytes(0...64, &rng) : []))
        }
        var boundary = boundaries.run(using: &rng)
        var how = multipart ? "multipart, boundary \(literal(boundary))" : "urlencoded"
        var expect: Expect? = nil

        // Field-level mutations: a duplicate, or an array name.
        let mutation = below(10, &rng)
        if mutation == 0, let original = fields.randomElement(using: &rng) {
            var copy = original
            if chance(0.5, &rng) { copy.value = formValues.run(using: &rng) }
            if copy.asFile { copy.value.unicodeScalars.removeAll { $0 == ";" || $0 == "\r" || $0 == "\n" } }
            fields.insert(copy, at: Int.random(in: 0...fields.count, using: &rng))
            how += ", field \(original.name) given twice"
            // The route's own fields must be unambiguous; others may repeat (multipart) or
            // not (the urlencoded decoder refuses any repeated key).
            if original.name == "filename" || original.name == "pid" {
                expect = .refused("the field \(original.name) is given twice")
            } else if !multipart {
                expect = .anything
            }
        } else if mutation == 1, let index = fields.indices.randomElement(using: &rng) {
            let original = fields[index].name
            fields[index].name += "[]"
            how += ", field \(original) sent as \(original)[]"
            if original == "filename" || original == "pid" { expect = .refused("\(original)[] is an array") }
        }

        var body: [UInt8]
        var closeEnd = 0
        let contentType: String
        if multipart {
            (body, closeEnd) = encodeMultipart(fields, boundary: boundary, &rng)
            contentType = realContentType(multipart: true, boundary: boundary, &rng)
        } else {
            var separable: Bool
            (body, separable) = encodeURLForm(fields, &rng)
            if !separable {
                how += ", a raw non-ASCII character next to = or &"
                expect = .anything
            }
            contentType = realContentType(multipart: false, boundary: "", &rng)
        }
        var type: String? = contentType

        if expect == nil {
            let value = { (name: String) in fields.first { $0.name == name }?.value }
            let delimiter = Array("\r\n--\(boundary)".utf8)
            if multipart && fields.isEmpty {
                expect = .refused("a multipart body without parts")
            } else if multipart && fields.contains(where: { contains(Array($0.value.utf8), delimiter) || contains($0.content, delimiter) }) {
                expect = .anything  // a value holding the delimiter is not well-formed
            } else {
                expect = .parsed(filename: value("filename"), pid: value("pid"))
            }
        }

        // Byte-level mutations.
        switch below(10, &rng) {
        case 0, 1:
            guard !body.isEmpty else { break }
            let length = below(body.count, &rng)
            body = Array(body.prefix(length))
            how += ", cut to \(length) bytes"
            if case .anything = expect {
            } else if multipart && length < closeEnd {
                // Every part is whole only once the closing delimiter is in.
                expect = .refused("the body ends before its closing boundary")
            } else if !multipart {
                expect = .anything
            }
        case 2 where !body.isEmpty:
            let index = below(body.count, &rng)
            let byte = UInt8.random(in: 0...255, using: &rng)
            how += ", byte \(index) set to \(byte)"
            if body[index] != byte { expect = .anything }
            body[index] = byte
        case 3 where multipart:
            var changed = boundary
            if chance(0.5, &rng), let index = changed.indices.randomElement(using: &rng) {
                changed.replaceSubrange(index...index, with: pick(["X", "-", "0", "é", " ", "\""], &rng))
            } else {
                changed = boundaries.run(using: &rng)
            }
            guard changed != boundary else { break }
            boundary = changed
            type = realContentType(multipart: true, boundary: changed, &rng)
            how += ", content type names boundary \(literal(changed))"
            expect = contains(body, Array("--\(changed)".utf8)) ? .anything : .refused("no part starts with the named boundary")
        case 4:
            // Broken whatever follows them (a lone `%` before two hex digits is an escape).
            let broken = pick(["%%", "%G0", "%zz", "%-1", "%E9%41", "%FF", "%C0%80", "%ED%A0%80", "%E9"], &rng)
            let index = Int.random(in: 0...body.count, using: &rng)
            body.insert(contentsOf: Array(broken.utf8) + (broken == "%E9" ? Array("%41".utf8) : []), at: index)
            how += ", \(broken) inserted at \(index)"
            expect = multipart ? .anything : .refused("a broken %-escape")
        case 6 where multipart:
            // A header line of any text: MultipartKit traps on non-ASCII header names.
            guard let end = firstIndex(of: Array("\r\n\r\n".utf8), in: body) else { break }
            let line = "\r\n" + text(1...10).run(using: &rng) + (chance(0.8, &rng) ? ": x" : "")
            body.insert(contentsOf: Array(line.utf8), at: end)
            how += ", header line \(literal(line)) added"
            expect = .anything
        case 5:
            let other = realContentType(multipart: !multipart, boundary: boundaries.run(using: &rng), &rng)
            type = other
            how += ", sent as \(literal(other))"
            expect = .anything
        default:
            break
        }
        return FormCase(how: how, body: body, contentType: type, expect: expect ?? .anything, boundary: multipart ? boundary : nil)
    }

    /// The multipart body, and how many bytes of it a parser must see before the form is complete.
    static func encodeMultipart(_ fields: [Field], boundary: String, _ rng: inout RNG) -> ([UInt8], Int) {
        var out: [UInt8] = []
        if chance(0.1, &rng) { out += Array("This is the preamble.\r\n".utf8) }
        for field in fields {
            out += Array("--\(boundary)\r\n".utf8)
            let disposition = pick(["Content-Disposition", "content-disposition", "CONTENT-DISPOSITION"], &rng)
            let name = chance(0.8, &rng) ? "\"\(field.name)\"" : field.name
            var header = "\(disposition): form-data;" + (chance(0.8, &rng) ? " " : "") + "name=\(name)"
            if field.asFile { header += "; filename=\"\(field.value)\"" }
            out += Array((header + "\r\n").utf8)
            if field.asFile {
                out += Array("Content-Type: application/octet-stream\r\n".utf8)
            } else if chance(0.2, &rng) {
                out += Array("Content-Type: text/plain; charset=utf-8\r\n".utf8)
            }
            out += Array("\r\n".utf8)
            out += field.asFile ? field.content : Array(field.value.utf8)
            out += Array("\r\n".utf8)
        }
        // The form is complete once the whole closing delimiter `--boundary--` is in: the
        // server refuses a body that stops before its second `-`.
        let closeEnd = out.count + 2 + boundary.utf8.count + 2
        out += Array("--\(boundary)--".utf8)
        if chance(0.7, &rng) { out += Array("\r\n".utf8) }
        if chance(0.1, &rng) { out += Array("epilogue".utf8) }
        return (out, closeEnd)
    }

    /// The urlencoded body, and whether every `=`, `&` and `+` in it stands alone as a
    /// Character. Hummingbird's decoder works on Characters: a raw (unescaped) combining mark
    /// after `=` hides the separator and drops the field, and one after `+` keeps the `+`.
    /// Clients escape non-ASCII, so such bodies are only checked not to trap.
    static func encodeURLForm(_ fields: [Field], _ rng: inout RNG) -> ([UInt8], Bool) {
        var pairs: [String] = []
        var separable = true
        for field in fields {
            let key = field.name.hasSuffix("[]") && chance(0.5, &rng)
                ? percentEncoded(String(field.name.dropLast(2)), isKey: true, &rng) + "[]"
                : percentEncoded(field.name, isKey: true, &rng)
            let value = percentEncoded(field.value, isKey: false, &rng)
            let scalars = Array(value.unicodeScalars)
            if scalars.first.map({ !$0.isASCII }) ?? false || scalars.last.map({ !$0.isASCII }) ?? false
                || scalars.indices.contains(where: { scalars[$0] == "+" && ($0 + 1 < scalars.count && !scalars[$0 + 1].isASCII || $0 > 0 && !scalars[$0 - 1].isASCII) })
            {
                separable = false
            }
            pairs.append(key + "=" + value)
            if chance(0.05, &rng) { pairs.append("") }
        }
        return (Array(pairs.joined(separator: "&").utf8), separable)
    }

    /// `text` form-encoded in one of the many ways clients do it: `+` or `%20` for spaces,
    /// upper- or lower-case hex, escaped or raw where raw is unambiguous.
    static func percentEncoded(_ text: String, isKey: Bool, _ rng: inout RNG) -> String {
        let raw = chance(0.3, &rng)
        let upper = chance(0.5, &rng)
        var out = ""
        for scalar in text.unicodeScalars {
            let unreserved = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar))
            let special = "&=+%".unicodeScalars.contains(scalar) || (isKey && "[]".unicodeScalars.contains(scalar))
            if scalar == " " && !isKey && chance(0.5, &rng) {
                out += "+"
            } else if (unreserved && chance(0.9, &rng)) || (raw && !special && scalar.value >= 0x20) {
                out.unicodeScalars.append(scalar)
            } else {
                for byte in String(scalar).utf8 {
                    let hex = String(byte, radix: 16, uppercase: upper)
                    out += "%" + (hex.count == 1 ? "0" : "") + hex
                }
            }
        }
        return out
    }
}

/// A `POST /v1/files` body, the caller's role, and (for a well-formed body) what it must give.
private struct SpecCase: Sendable, CustomStringConvertible {
    enum Expect: Sendable {
        case anything
        case refused(String)
        case accepted(purpose: String, filename: String, mimeType: String, size: Int64)
    }

    var how: String
    var json: [UInt8]
    var isAdmin: Bool
    var expect: Expect

    var description: String {
        "CreateFileSpec(json: \(literal(bytes: json)), admin: \(isAdmin)) [\(how)], expecting \(expect)"
    }

    static let generator: G<SpecCase> = weighted([
        (8, custom { rng in structured(&rng) }),
        (1, custom { rng in SpecCase(how: "random bytes", json: randomBytes(0...200, &rng), isAdmin: chance(0.5, &rng), expect: .anything) }),
        (1, custom { rng in SpecCase(how: "random JSON", json: Array(FuzzJSON.junk(&rng, depth: 0).utf8), isAdmin: chance(0.5, &rng), expect: .anything) }),
    ])

    static let purposes = ["meeting_transcript", "knowledge_user", "knowledge_workspace", "general"]

    static func structured(_ rng: inout RNG) -> SpecCase {
        let policy = PurposePolicy.standard
        let isAdmin = chance(0.5, &rng)
        var wellFormed = true
        var how: [String] = []

        let purpose = chance(0.8, &rng) ? pick(purposes, &rng)
            : pick(["", "General", "general ", "knowledge_user\u{0}", "meeting-transcript", "\u{202E}general"], &rng) + (chance(0.3, &rng) ? text(0...8).run(using: &rng) : "")
        let rule = policy.rules[purpose]
        let filename = chance(0.6, &rng) ? Names.plain.run(using: &rng) : Names.raw.run(using: &rng)
        let mimeType: String
        if let allowed = rule?.mimeTypes, chance(0.6, &rng) {
            let type = pick(allowed.sorted(), &rng)
            mimeType = pick(["", " ", "  "], &rng) + (chance(0.3, &rng) ? type.uppercased() : type) + pick(["", "; charset=utf-8", ";", " ;x=y"], &rng)
        } else {
            mimeType = pick(["", ";", " ; ", "text/html", "image/png", "application/json", "TEXT/PLAIN", ";text/plain", "text/plain\u{0}"], &rng)
                + (chance(0.3, &rng) ? text(0...10).run(using: &rng) : "")
        }
        let maxBytes = rule?.maxBytes ?? 5 << 30
        let size: Int64
        switch below(8, &rng) {
        case 0: size = pick([0, -1, Int64.min, Int64.max, maxBytes, maxBytes + 1, 1], &rng)
        case 1: size = Int64.random(in: .min ... .max, using: &rng)
        default: size = Int64.random(in: 1...maxBytes, using: &rng)
        }

        // Each field: present and well typed, missing, or something else entirely.
        var members: [(String, String)] = []
        func add(_ key: String, _ good: String) {
            switch below(20, &rng) {
            case 0:
                how.append("\(key) missing")
                wellFormed = false
            case 1, 2:
                members.append((key, FuzzJSON.junk(&rng, depth: 0)))
                how.append("\(key) of another type")
                wellFormed = false
            default:
                members.append((key, good))
            }
        }
        var loneSurrogate = false
        add("purpose", FuzzJSON.string(purpose, &rng, loneSurrogate: &loneSurrogate))
        add("filename", FuzzJSON.string(filename, &rng, loneSurrogate: &loneSurrogate))
        add("mimeType", FuzzJSON.string(mimeType, &rng, loneSurrogate: &loneSurrogate))
        if chance(0.15, &rng) {
            members.append(("sizeBytes", pick(FuzzJSON.oddNumbers, &rng)))
            how.append("sizeBytes an odd number")
            wellFormed = false
        } else {
            add("sizeBytes", String(size))
        }
        if loneSurrogate {
            how.append("a lone surrogate escape")
            wellFormed = false
        }
        if chance(0.2, &rng) {
            members.append((pick(["extra", "id", "purpose", "sizeBytes", "md5"], &rng), FuzzJSON.junk(&rng, depth: 0)))
            how.append("an extra member")
            wellFormed = false
        }
        members.shuffle(using: &rng)
        var keySurrogate = false
        var json = "{" + members.map { FuzzJSON.string($0.0, &rng, loneSurrogate: &keySurrogate) + ":" + $0.1 }
            .joined(separator: pick([",", ", ", " ,\n"], &rng)) + "}"
        if keySurrogate { wellFormed = false }
        if chance(0.3, &rng) { json = " \n" + json + "\t" }
        var bytes = Array(json.utf8)
        if chance(0.1, &rng), !bytes.isEmpty {
            if chance(0.5, &rng) {
                bytes = Array(bytes.prefix(below(bytes.count, &rng)))
                how.append("truncated")
            } else {
                bytes[below(bytes.count, &rng)] = UInt8.random(in: 0...255, using: &rng)
                how.append("a byte changed")
            }
            wellFormed = false
        }

        var expect = Expect.anything
        if wellFormed {
            let essence = mimeType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            let sanitized = try? FileNames.sanitize(filename)
            // RFC 9110's `type "/" subtype`, tokens both: what a header can carry back.
            let mediaType = essence.wholeMatch(of: /[!#$%&'*+\-.^_`|~0-9a-z]+\/[!#$%&'*+\-.^_`|~0-9a-z]+/) != nil
            if let rule, !rule.requiresAdmin || isAdmin, mediaType, rule.mimeTypes?.contains(essence) ?? true,
               (1...rule.maxBytes).contains(size), let sanitized
            {
                expect = .accepted(purpose: purpose, filename: sanitized, mimeType: essence, size: size)
            } else {
                expect = .refused("purpose, role, type, size or name is not acceptable")
            }
        }
        return SpecCase(how: how.isEmpty ? "well formed" : how.joined(separator: ", "), json: bytes, isAdmin: isAdmin, expect: expect)
    }
}

/// JSON text as hostile clients write it.
private enum FuzzJSON {
    static let oddNumbers = [
        "1.5", "1.0", "1e3", "1E2", "-0", "0.0", "1e400", "-1e400", "1e-400", "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "01", "+1", "0x10", "NaN", "Infinity", "-", "1.", ".5", "\"5\"", "5 5",
    ]

    /// `value` as a JSON string literal, escaped one of several valid ways; sometimes with a
    /// lone surrogate escape, which is not valid.
    static func string(_ value: String, _ rng: inout RNG, loneSurrogate: inout Bool) -> String {
        let escapeAll = chance(0.2, &rng)
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where chance(0.3, &rng): out += "\\/"
            case "\n": out += chance(0.5, &rng) ? "\\n" : "\\u000a"
            case _ where scalar.value < 0x20 || (escapeAll && !scalar.isASCII):
                if scalar.value > 0xFFFF {
                    let v = scalar.value - 0x10000
                    out += utf16Escape(0xD800 + (v >> 10), &rng) + utf16Escape(0xDC00 + (v & 0x3FF), &rng)
                } else {
                    out += utf16Escape(scalar.value, &rng)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        if chance(0.02, &rng) {
            out += pick(["\\ud800", "\\udc00", "\\ud83d"], &rng)
            loneSurrogate = true
        }
        return out + "\""
    }

    static func utf16Escape(_ unit: UInt32, _ rng: inout RNG) -> String {
        let hex = String(unit, radix: 16, uppercase: chance(0.5, &rng))
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// Any JSON value, sometimes nested far deeper than any client would.
    static func junk(_ rng: inout RNG, depth: Int) -> String {
        var ignored = false
        switch below(depth > 3 ? 6 : 11, &rng) {
        case 0: return "null"
        case 1: return pick(["true", "false"], &rng)
        case 2: return pick(oddNumbers, &rng)
        case 3: return String(Int64.random(in: .min ... .max, using: &rng))
        case 4: return string(text(0...12).run(using: &rng), &rng, loneSurrogate: &ignored)
        case 5: return pick(["[]", "{}", "\"\"", "[[]]", "{\"\":{}}"], &rng)
        case 6, 7:
            return "[" + (0..<below(4, &rng)).map { _ in junk(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        case 8:
            return "{" + (0..<below(3, &rng)).map { _ in
                string(pick(["purpose", "filename", "mimeType", "sizeBytes", "a"], &rng), &rng, loneSurrogate: &ignored) + ":" + junk(&rng, depth: depth + 1)
            }.joined(separator: ",") + "}"
        case 9:
            let levels = chance(0.05, &rng) ? Int.random(in: 1_000...200_000, using: &rng) : Int.random(in: 1...600, using: &rng)
            return String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        default:
            let levels = chance(0.05, &rng) ? Int.random(in: 1_000...100_000, using: &rng) : Int.random(in: 1...600, using: &rng)
            return String(repeating: "{\"a\":", count: levels) + "1" + String(repeating: "}", count: levels)
        }
    }
}

/// A random request target for the storage gate, with random headers and a random secret.
private struct StorageProbe: Sendable, CustomStringConvertible {
    var path: String
    var sessionId: String
    var encodedName: String
    var query: [String: String]
    var method: HTTPRequest.Method
    var headers: HTTPFields
    var now: Date
    var secret: [UInt8]

    var description: String {
        "Target(path: \(literal(path))); Target(sessionId: \(literal(sessionId)), encodedName: \(literal(encodedName)), query: \(query.map { "\(literal($0.key)): \(literal($0.value))" })); \(method) headers \(headers) at \(now.timeIntervalSince1970)"
    }

    static let expiresValues = [
        String(Int64.max), String(Int64.min), "9223372036854775808", "-9223372036854775809", "99999999999999999999999",
        "-1", "0", "1", "abc", "", "1e10", " 1", "1 ", "+1", "0x10", "1.5", "١٢٣", "4102444800",
    ]

    static let headerNames = ["content-type", "Content-Type", "if-none-match", "x-fuzz", "", "bad name", "ü", "a:b", "host", ":authority"]

    static let generator: G<StorageProbe> = custom { rng in
        let sessionId = chance(0.6, &rng) ? pick(["fil_", "upl_", ""], &rng) + httpToken(0...24, &rng) : text(0...12).run(using: &rng)
        let encodedName = chance(0.6, &rng) ? Names.accepted.run(using: &rng).pathSegmentEncoded : text(0...16).run(using: &rng)
        var query: [String: String] = [:]
        if chance(0.8, &rng) { query["expires"] = chance(0.7, &rng) ? pick(expiresValues, &rng) : String(Int64.random(in: .min ... .max, using: &rng)) }
        if chance(0.8, &rng) { query["sig"] = randomSignature(&rng) }
        if chance(0.5, &rng) {
            query["h"] = (0..<below(4, &rng)).map { _ in chance(0.7, &rng) ? pick(headerNames, &rng) : text(0...6).run(using: &rng) }.joined(separator: ";")
        }
        if chance(0.2, &rng) { query[text(0...4).run(using: &rng)] = text(0...8).run(using: &rng) }

        var items: [String] = query.map { key, value in
            (chance(0.5, &rng) ? key : FormCase.percentEncoded(key, isKey: false, &rng)) + "="
                + (chance(0.5, &rng) ? value : FormCase.percentEncoded(value, isKey: false, &rng))
        }
        if chance(0.1, &rng), let first = items.first { items.append(first) }
        if chance(0.1, &rng) { items.append(pick(["&", "=", "==", "sig", "#frag", "?", "%", "%zz"], &rng)) }
        items.shuffle(using: &rng)
        var path: String
        switch below(4, &rng) {
        case 0: path = text(0...60).run(using: &rng)
        case 1: path = pick(["", "http://h", "https://files.example.com:8443", "//h"], &rng) + "/storage/\(sessionId)/\(encodedName)?" + items.joined(separator: "&")
        default: path = "/storage/\(sessionId)/\(encodedName)" + (chance(0.9, &rng) ? "?" + items.joined(separator: "&") : "")
        }
        if chance(0.2, &rng) { path = mutateText(path, &rng) }

        var headers = HTTPFields()
        for _ in 0..<below(4, &rng) {
            if let name = HTTPField.Name(chance(0.7, &rng) ? pick(headerNames, &rng) : httpToken(1...8, &rng)) {
                headers.append(HTTPField(name: name, value: text(0...12).run(using: &rng)))
            }
        }
        let method: HTTPRequest.Method = pick([.put, .get, .head, .post, .delete], &rng)
        let now = Date(timeIntervalSince1970: pick([0, 1_700_000_000, 4_102_444_800, -1e12, 1e15, Double(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &rng))], &rng))
        return StorageProbe(path: path, sessionId: sessionId, encodedName: encodedName, query: query, method: method,
                            headers: headers, now: now, secret: randomBytes(0...64, &rng))
    }

    static func randomSignature(_ rng: inout RNG) -> String {
        switch below(6, &rng) {
        case 0: return ""
        case 1: return String((0..<64).map { _ in pick(Array("0123456789abcdef"), &rng) })
        case 2: return String((0..<64).map { _ in pick(Array("0123456789ABCDEF"), &rng) })
        case 3: return String((0..<Int.random(in: 1...130, using: &rng)).map { _ in pick(Array("0123456789abcdefg"), &rng) })
        case 4: return String(repeating: "0", count: 64)
        default: return text(0...70).run(using: &rng)
        }
    }
}

/// A URL the gate signs, the request that uses it, and one mutation to try on it.
private struct SignedCase: Sendable, CustomStringConvertible {
    var secret: [UInt8]
    var base: String
    var method: HTTPRequest.Method
    var sessionId: String
    var name: String
    var expires: Int64
    var secondsBefore: Double
    var secondsAfter: Double
    var headers: [(String, String)]
    var upperCaseRequestNames: Bool
    var mutation: URLMutation

    func requestCasing(_ name: String) -> String { upperCaseRequestNames ? name.uppercased() : name }

    var description: String {
        "signed \(method) URL for \(literal(sessionId)) / \(literal(name)), expires \(expires), checked \(secondsBefore)s before and \(secondsAfter)s after, base \(literal(base)), headers \(headers.map { "\($0.0): \(literal($0.1))" }), secret \(literal(bytes: secret)), mutation \(mutation)"
    }

    static let generator: G<SignedCase> = custom { rng in
        var names: [String] = []
        for _ in 0..<below(4, &rng) {
            let name = chance(0.6, &rng) ? pick(["content-type", "if-none-match", "cache-control", "x-upload-md5", "Expires"], &rng) : httpToken(1...12, &rng)
            if !names.contains(where: { $0.lowercased() == name.lowercased() }), name.lowercased() != "content-length" { names.append(name) }
        }
        let headers = names.map { name -> (String, String) in
            (name, chance(0.5, &rng) ? pick(["text/plain", "*", "application/octet-stream", "\"etag\"", "no-cache, max-age=0"], &rng) : headerValue(&rng))
        }
        let sessionId = chance(0.9, &rng) ? pick(["fil_", "upl_"], &rng) + httpToken(24...24, &rng) : httpToken(1...30, &rng)
        return SignedCase(
            secret: randomBytes(1...64, &rng),
            base: pick(["", "http://127.0.0.1:8080", "https://files.example.com"], &rng),
            method: chance(0.5, &rng) ? .put : .get,
            sessionId: sessionId,
            name: Names.accepted.run(using: &rng),
            expires: chance(0.1, &rng) ? pick([0, -1, 1, 4_102_444_800, -62_135_596_800, 253_402_300_799], &rng) : Int64.random(in: -10_000_000_000...100_000_000_000, using: &rng),
            secondsBefore: chance(0.2, &rng) ? 0.001 : Double.random(in: 0.001...1_000_000, using: &rng),
            secondsAfter: chance(0.2, &rng) ? 0 : Double.random(in: 0...1_000_000, using: &rng),
            headers: headers,
            upperCaseRequestNames: chance(0.3, &rng),
            mutation: URLMutation.random(&rng))
    }

    /// A valid header value: visible ASCII or UTF-8, spaces only inside.
    static func headerValue(_ rng: inout RNG) -> String {
        let value = text(1...16, Names.plainScalar).run(using: &rng).trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? "v" : value
    }
}

/// One single-character change to a signed URL, in its path, expiry, signature or header list.
private struct URLMutation: Sendable, CustomStringConvertible {
    enum Part: String, Sendable, CaseIterable { case path, expires, sig, h }
    enum Edit: String, Sendable { case replace, insert, delete }

    var part: Part
    var edit: Edit
    var position: Double
    var character: Character

    var description: String { "\(edit) \(literal(String(character))) in \(part) at \(position)" }

    static let characters: [Character] = Array("0123456789abcdefABCDEFxyzXYZ/%&=#?;+-. é_") + ["\u{0}", "\u{202E}"]

    static func random(_ rng: inout RNG) -> URLMutation {
        URLMutation(part: pick(Part.allCases, &rng), edit: pick([.replace, .replace, .insert, .delete], &rng),
                    position: Double.random(in: 0..<1, using: &rng), character: pick(characters, &rng))
    }

    /// The mutated URL, or nil when the URL has no such part (no `h` without signed headers).
    func apply(to url: String, base: String) -> String? {
        var chars = Array(url)
        guard let question = chars.firstIndex(of: "?") else { return nil }
        let range: Range<Int>
        switch part {
        case .path:
            range = base.count..<question
        case .expires, .sig, .h:
            let query = String(chars[(question + 1)...])
            var offset = question + 1
            var found: Range<Int>?
            for item in query.split(separator: "&", omittingEmptySubsequences: false) {
                if item.hasPrefix("\(part.rawValue)=") {
                    let start = offset + part.rawValue.count + 1
                    found = start..<(offset + item.count)
                }
                offset += item.count + 1
            }
            guard let found else { return nil }
            range = found
        }
        switch edit {
        case .insert:
            chars.insert(character, at: range.lowerBound + Int(position * Double(range.count + 1)))
        case .replace, .delete:
            guard !range.isEmpty else { return nil }
            let index = range.lowerBound + Int(position * Double(range.count))
            if edit == .delete {
                chars.remove(at: index)
            } else {
                guard chars[index] != character else { return nil }
                chars[index] = character
            }
        }
        return String(chars)
    }
}

/// Random text for `objectKey(finalURL:)`, and a final URL built as the route builds it.
private struct FinalURLProbe: Sendable, CustomStringConvertible {
    var random: String
    var base: String
    var pid: Int64
    var name: String

    var description: String { "objectKey(finalURL: \(literal(random))); final URL for pid \(pid) name \(literal(name)) on \(literal(base))" }

    static let generator: G<FinalURLProbe> = custom { rng in
        let random: String
        switch below(3, &rng) {
        case 0: random = text(0...60).run(using: &rng)
        case 1:
            random = pick(["", "http://h", "http://h:1", "//h", "https://[::1]:8443", "h"], &rng) + "/cdn/luwai/"
                + pick([String(Int64.random(in: .min ... .max, using: &rng)), "x", "", "9223372036854775808", "-0", "+1"], &rng)
                + "/" + (chance(0.5, &rng) ? Names.raw.run(using: &rng) : Names.accepted.run(using: &rng).pathSegmentEncoded)
                + pick(["", "?x=1", "#f", "/", "%", "%2F", "%E9"], &rng)
        default: random = mutateText("http://127.0.0.1:8080/cdn/luwai/42/" + Names.accepted.run(using: &rng).pathSegmentEncoded, &rng)
        }
        let pid = chance(0.2, &rng) ? pick([Int64.min, Int64.max, 0, -1], &rng) : Int64.random(in: .min ... .max, using: &rng)
        return FinalURLProbe(random: random, base: pick(["", "http://127.0.0.1:8080", "https://cdn.example.com"], &rng), pid: pid,
                             name: Names.accepted.run(using: &rng))
    }
}

/// Tokens for `ListCursor(token:)`: base64 of `int|id` texts (valid or not), mangled base64
/// and random text; and a cursor to round-trip.
private struct CursorProbe: Sendable, CustomStringConvertible {
    var token: String
    var expected: (millis: Int64, id: String)?
    /// The token is whole and its id is none a session could have: it must be refused.
    var refused = false
    var millis: Int64
    var id: String

    var description: String {
        "ListCursor(token: \(literal(token))) expecting \(expected.map { "\($0.millis) \(literal($0.id))" } ?? "anything"); ListCursor(createdAt: Date(millis: \(millis)), id: \(literal(id)))"
    }

    static let numberTexts = [
        String(Int64.max), String(Int64.min), "9223372036854775808", "-9223372036854775809", "0", "-0", "+5", "", " 1",
        "1e3", "0x10", "1.5", "١", "00000000000000000000042",
    ]

    static let generator: G<CursorProbe> = custom { rng in
        let number = chance(0.5, &rng) ? pick(numberTexts, &rng) : String(Int64.random(in: .min ... .max, using: &rng))
        let id = chance(0.5, &rng) ? "fil_" + httpToken(0...24, &rng) : text(0...20).run(using: &rng)
        let plain = "\(number)|\(id)"
        var token = Data(plain.utf8).base64EncodedString()
        var expected: (millis: Int64, id: String)?
        // What a cursor's id may be: printable ASCII, 1 to 128 bytes, as every session id is.
        let isID = !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        var refused = false
        if let millis = Int64(number) {
            if isID { expected = (millis, id) } else { refused = true }
        }
        switch below(8, &rng) {
        case 0:
            token = mutateText(token, &rng)
            expected = nil
            refused = false
        case 1:
            token = text(0...40).run(using: &rng)
            expected = nil
            refused = false
        case 2:
            token = Data(randomBytes(0...40, &rng)).base64EncodedString()
            expected = nil
            refused = false
        default: break
        }
        // Round-trip cursors carry what the store holds: real dates, real ids.
        let millis = chance(0.1, &rng) ? pick([0, -1, 1, 253_402_300_799_999, -62_135_596_800_000], &rng)
            : Int64.random(in: -250_000_000_000_000...250_000_000_000_000, using: &rng)
        let roundTripId = chance(0.7, &rng) ? "fil_" + httpToken(24...24, &rng) : "x" + httpToken(0...20, &rng)
        return CursorProbe(token: token, expected: expected, refused: refused, millis: millis, id: roundTripId)
    }
}

private enum Authorities {
    static let generator: G<String> = weighted([
        (2, text(0...30)),
        (5, custom { rng in structured(&rng) }),
        (1, custom { rng in mutateText(structured(&rng), &rng) }),
    ])

    static func structured(_ rng: inout RNG) -> String {
        let host: String
        switch below(7, &rng) {
        case 0: host = (0..<Int.random(in: 1...4, using: &rng)).map { _ in httpToken(1...10, &rng) }.joined(separator: ".")
        case 1: host = (0..<4).map { _ in String(Int.random(in: 0...300, using: &rng)) }.joined(separator: ".")
        case 2: host = pick(["[::1]", "[::]", "[2001:db8::1]", "[fe80::1%25eth0]", "[::ffff:127.0.0.1]", "[", "]", "[::1", "::1", "[v1.x]"], &rng)
        case 3: host = pick(["localhost", "127.0.0.1", "bücher.de", "xn--bcher-kva.de", "", "a..b", "-a", "a_b", "0", "LOCALHOST."], &rng)
        case 4: host = "[" + String((0..<Int.random(in: 0...20, using: &rng)).map { _ in pick(Array("0123456789abcdef:."), &rng) }) + "]"
        case 5: host = pick(["user@h", "h/p", "h?q", "h#f", "h\\x", "h h", "h%41", "@\u{301}h", "/\u{301}h", "h\u{301}", "h:\u{301}80", "#\u{301}"], &rng)
        default: host = text(1...12).run(using: &rng)
        }
        guard chance(0.6, &rng) else { return host }
        let port = pick(["", "0", "80", "08", "65535", "65536", "99999", "2147483648", "9223372036854775807", "9223372036854775808",
                         "100000000000000000000", "-1", "+80", "0x50", "٨٠", "80\u{301}", "8 0", "80:80", String(Int.random(in: 0...70_000, using: &rng))], &rng)
        return host + ":" + port
    }

    /// Why the port of an accepted authority is wrong, or nil when it is absent or fine.
    static func portProblem(_ value: String) -> String? {
        let scalars = Array(value.unicodeScalars)
        var rest: ArraySlice<Unicode.Scalar>
        if scalars.first == "[" {
            guard let close = scalars.firstIndex(of: "]") else { return "an unclosed IPv6 bracket" }
            rest = scalars[(close + 1)...]
            if rest.isEmpty { return nil }
            guard rest.first == ":" else { return "text after the IPv6 address" }
            rest = rest.dropFirst()
        } else {
            guard let colon = scalars.lastIndex(of: ":") else { return nil }
            rest = scalars[(colon + 1)...]
        }
        if rest.isEmpty { return nil }
        guard rest.allSatisfy({ ("0"..."9").contains($0) }) else { return "the port is not decimal digits" }
        guard let port = Int(String(String.UnicodeScalarView(rest))), (0...65535).contains(port) else { return "the port is out of 0...65535" }
        return nil
    }
}

private enum Paths {
    static let dialectGenerator: G<String> = weighted([
        (2, text(0...40)),
        (3, custom { rng in
            var path = ""
            for _ in 0..<below(5, &rng) {
                path += pick(["/", "//", ""], &rng) + pick(["v1", "v2", "cdn", "storage", "upl_abc", "fil_abc", "upl_", "V2", "v2x", "", ".."], &rng)
            }
            return path + (chance(0.3, &rng) ? text(0...10).run(using: &rng) : "")
        }),
    ])
}

private enum Names {
    static let plainScalar: G<Unicode.Scalar> = weighted([
        (10, scalars("a"..."z")), (3, scalars("A"..."Z")), (3, scalars("0"..."9")), (2, scalars([" ", "-", "_", "(", ")", ".", ","])),
        (1, scalars("\u{C0}"..."\u{17F}")), (1, scalars("\u{4E00}"..."\u{9FFF}")), (1, scalars("\u{AC00}"..."\u{D7A3}")),
        (1, scalars("\u{1F300}"..."\u{1F5FF}")),
    ])

    /// Names as people give them: a stem and a usual extension.
    static let plain: G<String> = custom { rng in
        let stem = text(1...20, plainScalar).run(using: &rng)
        let ext = pick(["jpg", "png", "tar.gz", "PDF", "txt", "", "glb", "jpeg", "svg", "html"], &rng)
        return ext.isEmpty ? stem : stem + "." + ext
    }

    static let specials: [String] = [
        ".", "..", " . ", " .. ", "...", "./", "/", "\\", "", " ", "\t", "\u{A0}", ".\u{301}", "..\u{301}", "/\u{301}",
        "\\\u{301}", "a/\u{338}b", "\u{202E}gpj.exe", "invoice\u{202E}fdp.exe", "a\u{2028}b", "a\u{200B}.jpg",
        "\u{FEFF}a.jpg", "a\u{0}.jpg", "a\u{7F}", "a\u{85}b", "../../etc/passwd", "..\\..\\boot.ini", "C:\\x.jpg",
        String(repeating: "a", count: 255), String(repeating: "a", count: 256), " " + String(repeating: "a", count: 255) + " ",
        String(repeating: "é", count: 127), String(repeating: "é", count: 128), String(repeating: "e\u{301}", count: 85),
        String(repeating: "e\u{301}", count: 100), String(repeating: "\u{1F600}", count: 63) + "abc",
        String(repeating: "\u{1F600}", count: 64), String(repeating: "\u{1100}\u{1161}\u{11A8}", count: 30),
        "\u{212B}.png", "\u{2126}", "\u{FB01}le", "\u{1E9B}\u{323}", "\u{F900}", "\u{0958}",
    ]

    /// Hostile and ordinary names, in NFC or NFD, with or without padding.
    static let raw: G<String> = custom { rng in
        var name: String
        switch below(10, &rng) {
        case 0, 1, 2: name = text(0...24).run(using: &rng)
        case 3, 4: name = plain.run(using: &rng)
        case 5: name = text(60...140).run(using: &rng)
        case 6: name = pick(specials, &rng)
        default:
            name = plain.run(using: &rng)
            let insert = pick(["/", "\\", "..", "\u{202E}", "\u{200B}", "\u{2028}", "\u{0}", "\n", "\u{301}", "/\u{338}", "\u{FEFF}", "\u{600}", "\u{D4E}"], &rng)
            let scalars = Array(name.unicodeScalars)
            let at = Int.random(in: 0...scalars.count, using: &rng)
            name = String(String.UnicodeScalarView(scalars[..<at])) + insert + String(String.UnicodeScalarView(scalars[at...]))
        }
        switch below(8, &rng) {
        case 0: name = name.decomposedStringWithCanonicalMapping
        case 1: name = pick(["", " ", "  ", "\t", "\u{3000}"], &rng) + name + pick(["", " ", "\u{A0}", "\u{2000}"], &rng)
        case 2: name += name
        default: break
        }
        return name
    }

    /// Names the server would store.
    static let accepted: G<String> = weighted([(3, plain), (1, raw)]).compactMap { try? FileNames.sanitize($0) }

    static let contentTypes: G<String> = weighted([
        (2, custom { rng in
            pick(["text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml", "application/xhtml+xml", "text/plain", "image/png", "",
                  ";", "/", "text/", "/html", " text/html ", "text/html;", "text/html\u{0}", "text/ht ml", "a/b/c", "\u{130}mage/png",
                  "application/javascript", "application/octet-stream", "multipart/x-mixed-replace; boundary=x",
                  "text/html;\u{301}", "image/svg+xml;\u{301}x=y", "text/html\u{70F};", "TEXT/HTML\t;", "text/html;charset=\u{301}",
                  "text/xml ; q", "application/xhtml+xml\u{A0};"], &rng)
        }),
        (2, text(0...30)),
    ])
}

// MARK: - Generator helpers

private typealias RNG = any SeededRandomNumberGenerator
private typealias G<T> = Generator<T, AnySequence<Any>>

private func below(_ n: Int, _ rng: inout RNG) -> Int { Int.random(in: 0..<n, using: &rng) }
private func chance(_ p: Double, _ rng: inout RNG) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
private func pick<T>(_ items: [T], _ rng: inout RNG) -> T { items[below(items.count, &rng)] }

private func custom<T: Sendable>(_ body: @escaping @Sendable (inout RNG) -> T) -> G<T> {
    Generator<T, Shrink.None<T>>(run: { rng in body(&rng) }).eraseToAny()
}

private func weighted<T>(_ options: [(Double, G<T>)]) -> G<T> {
    Gen<T>.frequency(options.map { (weight: $0.0, gen: $0.1) }).eraseToAny()
}

private func scalars(_ range: ClosedRange<Unicode.Scalar>) -> G<Unicode.Scalar> {
    Gen.unicodeScalar(in: range).eraseToAny()
}

private func scalars(_ pool: [Unicode.Scalar]) -> G<Unicode.Scalar> {
    Gen<Unicode.Scalar?>.element(of: pool).map { $0! }.eraseToAny()
}

/// Scalars weighted towards what breaks parsers: separators, controls, format characters,
/// combining marks, decomposable letters, astral characters.
private let anyScalar: G<Unicode.Scalar> = weighted([
    (10, scalars("a"..."z")), (2, scalars("A"..."Z")), (3, scalars("0"..."9")), (3, scalars(" "..."~")),
    (3, scalars(["/", "\\", ".", ".", ":", "%", "?", "#", "@", "&", "=", ";", "\"", "'", "*", "~", "+", "[", "]",
                 "\u{FF0F}", "\u{2215}", "\u{2044}", "\u{FF3C}", "\u{2024}", "\u{FF0E}"])),
    (1, scalars("\u{0}"..."\u{1F}")), (1, scalars("\u{7F}"..."\u{9F}")),
    (1, scalars(["\u{AD}", "\u{61C}", "\u{600}", "\u{6DD}", "\u{70F}", "\u{180E}", "\u{200B}", "\u{200C}", "\u{200D}", "\u{200E}",
                 "\u{200F}", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}", "\u{2060}", "\u{2061}", "\u{2064}", "\u{2066}",
                 "\u{2067}", "\u{2068}", "\u{2069}", "\u{206F}", "\u{FEFF}", "\u{FFF9}", "\u{FFFB}", "\u{110BD}", "\u{1D173}",
                 "\u{E0001}", "\u{E0041}"])),
    (1, scalars(["\n", "\r", "\u{B}", "\u{C}", "\u{85}", "\u{2028}", "\u{2029}", "\u{0}", "\u{7F}"])),
    (1, scalars([" ", "\t", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2007}", "\u{200A}", "\u{202F}", "\u{205F}", "\u{3000}"])),
    (2, scalars("\u{300}"..."\u{36F}")), (1, scalars("\u{C0}"..."\u{17F}")), (1, scalars("\u{1100}"..."\u{11FF}")),
    (1, scalars("\u{AC00}"..."\u{D7A3}")), (1, scalars("\u{4E00}"..."\u{9FFF}")), (1, scalars("\u{1F300}"..."\u{1FAFF}")),
    (1, scalars("\u{0}"..."\u{D7FF}")), (1, scalars("\u{E000}"..."\u{10FFFF}")),
])

private func text(_ count: ClosedRange<Int>, _ scalar: G<Unicode.Scalar> = anyScalar) -> G<String> {
    scalar.array(of: count).map { String(String.UnicodeScalarView($0)) }.eraseToAny()
}

/// An HTTP token of letters, digits, `-` and `_`.
private func httpToken(_ count: ClosedRange<Int>, _ rng: inout RNG) -> String {
    let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    return String((0..<Int.random(in: count, using: &rng)).map { _ in pick(chars, &rng) })
}

private func randomBytes(_ count: ClosedRange<Int>, _ rng: inout RNG) -> [UInt8] {
    (0..<Int.random(in: count, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// `text` with one scalar replaced, inserted or removed.
private func mutateText(_ text: String, _ rng: inout RNG) -> String {
    var scalars = Array(text.unicodeScalars)
    let replacement = anyScalar.run(using: &rng)
    switch below(3, &rng) {
    case 0 where !scalars.isEmpty: scalars[below(scalars.count, &rng)] = replacement
    case 1 where !scalars.isEmpty: scalars.remove(at: below(scalars.count, &rng))
    default: scalars.insert(replacement, at: Int.random(in: 0...scalars.count, using: &rng))
    }
    return String(String.UnicodeScalarView(scalars))
}

// MARK: - Checks and printing

/// What a sanitised name must not be or contain.
private func unsafeTraits(ofSanitized name: String) -> [String] {
    var traits: [String] = []
    let scalars = Array(name.unicodeScalars)
    if scalars.isEmpty { traits.append("empty") }
    if name.utf8.count > 255 { traits.append("\(name.utf8.count) UTF-8 bytes") }
    if scalars != Array(name.precomposedStringWithCanonicalMapping.unicodeScalars) { traits.append("not NFC") }
    if scalars.contains("/") || scalars.contains("\\") { traits.append("a path separator") }
    if let bad = scalars.first(where: { [.control, .format, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory) }) {
        traits.append("U+\(String(bad.value, radix: 16, uppercase: true)) (\(bad.properties.generalCategory))")
    }
    if scalars == ["."] || scalars == [".", "."] { traits.append("a dot segment") }
    return traits
}

/// The outcome of a call that throws only the API's errors.
private func attempt<T>(_ body: () throws(APIError) -> T) -> Result<T, APIError> {
    do {
        return .success(try body())
    } catch {
        return .failure(error)
    }
}

/// A content type's `type/subtype` as a browser reads it (WHATWG MIME sniffing): up to the
/// first `;` byte, HTTP whitespace trimmed, lower-cased; nil unless it is ASCII tokens.
private func browserEssence(_ contentType: String) -> String? {
    let head = contentType.unicodeScalars.prefix { $0 != ";" }
    let httpSpace: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n"]
    let trimmed = head.drop { httpSpace.contains($0) }.reversed().drop { httpSpace.contains($0) }.reversed()
    let text = String(String.UnicodeScalarView(trimmed)).lowercased()
    let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz".unicodeScalars)
    let halves = text.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false)
    guard halves.count == 2, halves.allSatisfy({ !$0.isEmpty && $0.allSatisfy { tchar.contains($0) } }) else { return nil }
    return text
}

private func sameScalars(_ a: String?, _ b: String?) -> Bool {
    a.map { Array($0.unicodeScalars) } == b.map { Array($0.unicodeScalars) }
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    return (0...(haystack.count - needle.count)).contains { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
}

private func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    return (0...(haystack.count - needle.count)).first { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
}

/// In long runs, how many examples each property tried and how many hit a known bug.
private func summary(_ property: String, known: [String: Int]) {
    guard ProcessInfo.processInfo.environment["HOIST_FUZZ_COUNT"] != nil else { return }
    let hits = known.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    print("[fuzz] \(property): \(fuzzCount) examples" + (hits.isEmpty ? "" : "; known bugs hit: " + hits.joined(separator: ", ")))
}

private func containsBytes(_ text: String, _ part: String) -> Bool { contains(Array(text.utf8), Array(part.utf8)) }

private func describe(_ form: LuwUploadForm) -> String {
    "filename \(form.filename.map(literal) ?? "nil"), pid \(form.pid.map(literal) ?? "nil")"
}

/// `text` as a Swift literal in plain ASCII, so invisible and look-alike characters show.
private func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case " "..."~": out.unicodeScalars.append(scalar)
        default: out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        }
    }
    return out + "\""
}

/// Bytes as a Swift expression: UTF-8 text when they are, base64 otherwise.
private func literal(bytes: [UInt8]) -> String {
    if let text = String(validating: bytes, as: UTF8.self) { return "Array(\(literal(text)).utf8)" }
    return "Array(Data(base64Encoded: \"\(Data(bytes).base64EncodedString())\")!)"
}

// MARK: - Trap witness

/// The input each property is trying, printed if the process traps: a trap ends the test
/// process before PropertyBased can report the failing input or its seed. Armed only for
/// long runs (`HOIST_FUZZ_COUNT` set), on Linux.
private enum CrashWitness {
    enum Slot: Int, CaseIterable {
        case luwForm, createSpec, sanitize, stamp, storageRandom, storageSigned, objectKey, host, cursor, dialect, contentSafety
    }

    static let slotSize = 1 << 16
    static let slotCount = Slot.allCases.count
    nonisolated(unsafe) static let text = UnsafeMutablePointer<UInt8>.allocate(capacity: slotCount * slotSize)
    nonisolated(unsafe) static let lengths: UnsafeMutablePointer<Int> = {
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: slotCount)
        lengths.initialize(repeating: 0, count: slotCount)
        return lengths
    }()

    static let armed: Bool = {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["HOIST_FUZZ_COUNT"] != nil else { return false }
        _ = text
        _ = lengths
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in CrashWitness.report(signal) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_ONSTACK
            sigaction(signal, &action, previous.advanced(by: Int(signal)))
        }
        return true
        #else
        return false
        #endif
    }()

    #if canImport(Glibc)
    nonisolated(unsafe) static let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)

    /// Writes the inputs in flight, then hands the signal back to the previous handler
    /// (the runtime's backtracer), which gets it when the trapping instruction runs again.
    static func report(_ signal: Int32) {
        for slot in 0..<slotCount where lengths[slot] > 0 {
            _ = write(2, text.advanced(by: slot * slotSize), lengths[slot])
        }
        sigaction(signal, previous.advanced(by: Int(signal)), nil)
    }
    #endif

    static func trying(_ slot: Slot, _ input: @autoclosure () -> String) {
        guard armed else { return }
        let bytes = Array(("\n[fuzz] in flight when the process trapped, \(slot): " + input()).utf8.prefix(slotSize - 1)) + [10]
        lengths[slot.rawValue] = 0
        bytes.withUnsafeBufferPointer { text.advanced(by: slot.rawValue * slotSize).update(from: $0.baseAddress!, count: $0.count) }
        lengths[slot.rawValue] = bytes.count
    }

    static func done(_ slot: Slot) {
        if armed { lengths[slot.rawValue] = 0 }
    }
}

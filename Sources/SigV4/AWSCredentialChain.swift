import Foundation

/// Finds AWS credentials and the region the way the AWS CLI and SDKs do, so an s3 profile
/// needs no secret in hoist's own config:
///
/// 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
/// 2. the profile `AWS_PROFILE` names (else `default`) in `~/.aws/credentials`
///    (`AWS_SHARED_CREDENTIALS_FILE`), then in `~/.aws/config` (`AWS_CONFIG_FILE`), where
///    its section is `[profile NAME]` (`[default]` for the default).
///
/// Errors name the files and variables looked at, never a value.
public struct AWSCredentialChain: Sendable {
    let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    /// The AWS profile name in use.
    public var profileName: String { nonEmpty("AWS_PROFILE") ?? nonEmpty("AWS_DEFAULT_PROFILE") ?? "default" }

    var credentialsFile: String { nonEmpty("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials" }
    var configFile: String { nonEmpty("AWS_CONFIG_FILE") ?? home + "/.aws/config" }
    private var home: String { nonEmpty("HOME") ?? NSHomeDirectory() }

    /// The credentials, or an error that says where hoist looked.
    public func credentials() throws(AWSCredentialsError) -> SigV4Credentials {
        if let id = nonEmpty("AWS_ACCESS_KEY_ID") {
            guard let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") else {
                throw AWSCredentialsError(description: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return SigV4Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"))
        }
        for section in [fileSection(credentialsFile, named: profileName), fileSection(configFile, named: configSectionName)] {
            guard let section else { continue }
            if let id = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] {
                return SigV4Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: section["aws_session_token"])
            }
        }
        throw AWSCredentialsError(description:
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile \(profileName) "
                + "aws_access_key_id and aws_secret_access_key in \(credentialsFile) or \(configFile)")
    }

    /// The region when the hoist profile names none: `AWS_REGION`, `AWS_DEFAULT_REGION`,
    /// the AWS profile's `region`, else `us-east-1`.
    public func region() -> String {
        nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION")
            ?? fileSection(configFile, named: configSectionName)?["region"]
            ?? fileSection(credentialsFile, named: profileName)?["region"] ?? "us-east-1"
    }

    private var configSectionName: String { profileName == "default" ? "default" : "profile \(profileName)" }

    func nonEmpty(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    private func fileSection(_ path: String, named name: String) -> [String: String]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return AWSConfigFile.parse(text)[name]
    }
}

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]` headers,
/// `key = value` lines, `#` and `;` comments, keys case-insensitive. Indented lines (nested
/// settings such as `s3 =` blocks) belong to the key above and are skipped.
enum AWSConfigFile {
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if rawLine.first == " " || rawLine.first == "\t" { continue }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(whereSeparator: \.isWhitespace).joined(separator: " ")
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            // An inline comment needs whitespace before it, as in botocore.
            if let hash = value.range(of: " #") ?? value.range(of: " ;") { value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces) }
            if !key.isEmpty, !value.isEmpty { sections[current]?[key] = value }
        }
        return sections
    }
}

/// No usable AWS credentials; the description names where hoist looked, never a value.
public struct AWSCredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

import SigV4
import Foundation
import HoistTestSupport
import Testing

@testable import HoistEngine

/// The s3 dialect's pure parts: credentials the AWS way, profiles and flags, part plans, keys.
@Suite struct S3SettingsTests {
    @Test func credentialsComeFromTheEnvironmentFirst() throws {
        let chain = AWSCredentialChain(environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok", "HOME": "/nonexistent"])
        #expect(try chain.credentials() == SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "tok"))
        #expect(throws: AWSCredentialsError.self) { try AWSCredentialChain(environment: ["AWS_ACCESS_KEY_ID": "AKID", "HOME": "/nonexistent"]).credentials() }
    }

    @Test func credentialsAndRegionComeFromTheAWSFilesForTheNamedProfile() throws {
        let home = try TempDirectory.make(prefix: "hoist-aws")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        try TestFiles.write("""
            [default]
            aws_access_key_id = DEFAULTID
            aws_secret_access_key = defaultsecret

            [work]
            aws_access_key_id=WORKID   # inline comment
            aws_secret_access_key = worksecret
            aws_session_token = worktoken
            """, to: home + "/.aws/credentials")
        try TestFiles.write("""
            [profile work]
            region = eu-west-3
            s3 =
              addressing_style = path
            [profile config-only]
            aws_access_key_id = CFGID
            aws_secret_access_key = cfgsecret
            """, to: home + "/.aws/config")
        let base = ["HOME": home]
        #expect(try AWSCredentialChain(environment: base).credentials().accessKeyID == "DEFAULTID")
        let work = AWSCredentialChain(environment: base.merging(["AWS_PROFILE": "work"]) { $1 })
        #expect(try work.credentials() == SigV4Credentials(accessKeyID: "WORKID", secretAccessKey: "worksecret", sessionToken: "worktoken"))
        #expect(work.region() == "eu-west-3")
        #expect(try AWSCredentialChain(environment: base.merging(["AWS_PROFILE": "config-only"]) { $1 }).credentials().accessKeyID == "CFGID")
        // A missing profile says where hoist looked, and never prints a secret.
        do {
            _ = try AWSCredentialChain(environment: base.merging(["AWS_PROFILE": "absent"]) { $1 }).credentials()
            Issue.record("no error for a missing profile")
        } catch {
            #expect(error.description.contains("absent") && error.description.contains(".aws/credentials"))
            #expect(!error.description.contains("secret") || !error.description.contains("worksecret"))
        }
    }

    @Test("credentials from the AWS files follow them: renewed keys are signed with once the rewrite has settled; a half-written file, or one gone, keeps the keys in use")
    func credentialsFollowTheirFiles() throws {
        let home = try TempDirectory.make(prefix: "hoist-aws-renew")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        let file = home + "/.aws/credentials"
        // Each rewrite changes the file's size: written in place within one tick of the
        // file system's clock, only the size tells it from the one read.
        func write(_ id: String, token: String) throws {
            try TestFiles.write("[default]\naws_access_key_id = \(id)\naws_secret_access_key = s-\(id)\naws_session_token = \(token)\n", to: file)
        }
        try write("ASIAFIRST", token: "t1")
        let provider = try AWSCredentialsProvider(chain: AWSCredentialChain(environment: ["HOME": home]), checkEvery: .zero)
        #expect(provider.fixed == nil)
        #expect(provider.current == SigV4Credentials(accessKeyID: "ASIAFIRST", secretAccessKey: "s-ASIAFIRST", sessionToken: "t1"))
        // Renewed: the first look sees it change, the next one (nothing changed between) takes it.
        try write("ASIASECOND", token: "t2-renewed")
        #expect(provider.current.accessKeyID == "ASIAFIRST")
        #expect(provider.current == SigV4Credentials(accessKeyID: "ASIASECOND", secretAccessKey: "s-ASIASECOND", sessionToken: "t2-renewed"))
        // Caught half-written, with a key and a secret but no token yet: each look sees it
        // change, so nothing is taken until it is whole and has settled.
        try TestFiles.write("[default]\naws_access_key_id = ASIATHIRD\n", to: file)
        #expect(provider.current.accessKeyID == "ASIASECOND")
        try TestFiles.write("[default]\naws_access_key_id = ASIATHIRD\naws_secret_access_key = s-ASIATHIRD\n", to: file)
        #expect(provider.current.accessKeyID == "ASIASECOND")
        try write("ASIATHIRD", token: "t3")
        #expect(provider.current.accessKeyID == "ASIASECOND")
        #expect(provider.current == SigV4Credentials(accessKeyID: "ASIATHIRD", secretAccessKey: "s-ASIATHIRD", sessionToken: "t3"))
        // A file gone (moved aside before a rewrite): the keys in use stay.
        try FileManager.default.removeItem(atPath: file)
        for _ in 0..<3 { #expect(provider.current.accessKeyID == "ASIATHIRD") }
        // Looked at no more often than asked: a provider that looks once an hour sees nothing yet.
        try write("ASIAFOURTH", token: "t4-later")
        let slow = try AWSCredentialsProvider(chain: AWSCredentialChain(environment: ["HOME": home]), checkEvery: .seconds(3600))
        try write("ASIAFIFTH", token: "t5")
        for _ in 0..<3 { #expect(slow.current.accessKeyID == "ASIAFOURTH") }
        // What the engine signs with: the API key reads the provider at each signing.
        let key = APIKey(signing: provider)
        _ = key.signing
        #expect(key.signing?.accessKeyID == "ASIAFIFTH")
        #expect(key == APIKey(signing: provider) && key != APIKey(signing: slow))
        // From the environment: fixed, as a process cannot see its environment change.
        let fromEnvironment = try AWSCredentialsProvider(
            chain: AWSCredentialChain(environment: ["HOME": home, "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env"]))
        #expect(fromEnvironment.fixed == SigV4Credentials(accessKeyID: "AKIAENV", secretAccessKey: "env"))
        #expect(APIKey(signing: fromEnvironment) == APIKey(signing: SigV4Credentials(accessKeyID: "AKIAENV", secretAccessKey: "env")))
    }

    @Test func inlineFlagsAndConfigProfilesMakeAnS3Profile() throws {
        var selection = ProfileSelection(dialect: .s3)
        selection.bucket = "my-bucket"
        selection.prefix = "in/"
        selection.region = "eu-central-1"
        guard case .profile(let aws) = try selection.resolve(config: HoistConfig(), environment: [:]) else { Issue.record("not a profile"); return }
        #expect(aws.endpoint == "https://s3.eu-central-1.amazonaws.com" && aws.s3?.bucket == "my-bucket" && aws.s3?.prefix == "in/")

        let config = try HoistConfig(toml: """
            [profiles.minio]
            dialect = "s3"
            endpoint = "http://127.0.0.1:9000/"
            bucket = "backups"
            path_style = true
            multipart_threshold = 16777216
            """)
        var named = ProfileSelection(profile: "minio")
        named.noClobber = true
        guard case .profile(let minio) = try named.resolve(config: config, environment: ["AWS_REGION": "ap-south-1"]) else { Issue.record("not a profile"); return }
        #expect(minio.endpoint == "http://127.0.0.1:9000" && minio.s3?.pathStyle == true && minio.noClobber)
        #expect(minio.s3?.region == "ap-south-1" && minio.s3?.multipartThreshold == 16 << 20)

        var noBucket = ProfileSelection(dialect: .s3)
        noBucket.region = "x"
        #expect(throws: EngineError.self) { try noBucket.resolve(config: HoistConfig(), environment: [:]) }
        var badBucket = selection
        badBucket.bucket = "No_Such Bucket!"
        #expect(throws: EngineError.self) { try badBucket.resolve(config: HoistConfig(), environment: [:]) }
        var wrongDialect = ProfileSelection(endpoint: "http://x", dialect: .lightfield, apiKeyEnv: "K")
        wrongDialect.bucket = "b"
        #expect(throws: EngineError.self) { try wrongDialect.resolve(config: HoistConfig(), environment: [:]) }
        #expect(throws: EngineError.self) { try HoistConfig(toml: "[profiles.x]\ndialect = \"s3\"\n") }
    }

    @Test func partPlansStayWithinS3Limits() {
        #expect(PartPlan.partSize(for: 1 << 30) == 8 << 20)
        #expect(PartPlan(size: 1 << 30, partSize: PartPlan.partSize(for: 1 << 30)).count == 128)
        for size: Int64 in [65 << 20, 100 << 30, 1 << 40, 5 << 40] {
            let plan = PartPlan(size: size, partSize: PartPlan.partSize(for: size))
            #expect(Int64(plan.count) <= PartPlan.maximumParts && plan.partSize >= 8 << 20 && plan.partSize % (1 << 20) == 0)
            #expect(plan.range(of: plan.count).upperBound == size && plan.range(of: 1).lowerBound == 0)
        }
        let plan = PartPlan(size: 20 << 20, partSize: 8 << 20)
        #expect(plan.count == 3 && plan.range(of: 3) == (16 << 20)..<(20 << 20))
    }

    @Test("journal keys keep the form earlier hoists wrote (their rows must still be found), and each begins with its object space: the bucket's for s3, the persona's for Luw with --pid")
    func destinationsAndTheirObjectSpaces() {
        let key = APIKey("k")
        var luw = Profile(name: "l", dialect: .luw, endpoint: "http://h", apiKeyEnv: nil, pid: 7)
        let fp = key.fingerprint
        #expect(EngineConfiguration.destination(of: luw, key: key) == "http://h (luw, persona 7, key \(fp))")
        #expect(EngineConfiguration(profile: luw, key: key).objectSpace == "http://h (luw, persona 7, ")
        luw.temporary = true
        #expect(EngineConfiguration.destination(of: luw, key: key) == "http://h (luw, persona 7, temporary, key \(fp))")
        luw.pid = nil
        #expect(EngineConfiguration.destination(of: luw, key: key) == "http://h (luw, the key's persona, temporary, key \(fp))")
        #expect(EngineConfiguration(profile: luw, key: key).objectSpace == nil)
        var s3 = Profile(name: "s", dialect: .s3, endpoint: "http://s", apiKeyEnv: nil)
        s3.s3 = S3Settings(bucket: "b", region: "us-east-1", prefix: "P/a/", pathStyle: true, multipartThreshold: 1 << 24)
        #expect(EngineConfiguration.destination(of: s3, key: key) == "s3:http://s/b/P/a/")
        #expect(EngineConfiguration(profile: s3, key: key).objectSpace == "s3:http://s/b/")
    }

    @Test func keysArePrefixPlusTheRelativePathAndEncodedForTheURL() {
        #expect(UploadEngine.relativeName("photos/2024/a.jpg") == "photos/2024/a.jpg")
        #expect(UploadEngine.relativeName("./a.jpg") == "a.jpg")
        #expect(UploadEngine.relativeName("../up/a.jpg") == "a.jpg")
        #expect(UploadEngine.relativeName("/abs/a.jpg") == "a.jpg")
        #expect(UploadEngine.relativeName(".") == "" && UploadEngine.relativeName("./") == "")
        #expect(UploadEngine.relativeName("..", absolute: "/home/u/parent") == "parent")
        // A `..` that does not climb out is taken against the name before it: the directories stay.
        #expect(UploadEngine.relativeName("a/../b/deep/x.txt") == "b/deep/x.txt")
        #expect(UploadEngine.relativeName("b/deep/../deep/x.txt") == "b/deep/x.txt")
        #expect(UploadEngine.relativeName("a/b/..") == "a" && UploadEngine.relativeName("a/..") == "")
        #expect(UploadEngine.relativeName("a/../../up/x.txt") == "x.txt")
        // The root names nothing: its files keep their paths below it, never `//etc/hosts`.
        #expect(UploadEngine.relativeName("/") == "" && UploadEngine.relativeName("//") == "")
        let rootWalk = Array(DirectoryWalk("/").prefix(20))
        #expect(!rootWalk.isEmpty && rootWalk.allSatisfy { if case .file(let path) = $0 { !path.hasPrefix("//") } else { true } }, "\(rootWalk)")
        // A name below a directory counts bytes, not characters: a name that begins with a
        // combining mark keeps it (`/` and U+0301 are one Character).
        let accented = FileIdentity(path: "/d/\u{301}acc.txt", size: 1, mtimeNanos: 0)
        #expect(JobRunner.Naming.underRoot("", dropping: "/d".utf8.count + 1).name(of: accented) == "\u{301}acc.txt")
        #expect(JobRunner.Naming.underRoot("d", dropping: "/d".utf8.count).name(of: accented) == "d/\u{301}acc.txt")
        var profile = Profile(name: "p", dialect: .s3, endpoint: "https://s3.eu-west-1.amazonaws.com", apiKeyEnv: nil)
        profile.s3 = S3Settings(bucket: "bkt", region: "eu-west-1", prefix: "in/")
        let virtual = S3Location(profile: profile)
        #expect(virtual.url(of: "in/my file+é?#%.txt") == "https://bkt.s3.eu-west-1.amazonaws.com/in/my%20file%2B%C3%A9%3F%23%25.txt")
        var dotted = profile
        dotted.s3?.bucket = "my.bucket"
        #expect(S3Location(profile: dotted).url(of: "k") == "https://s3.eu-west-1.amazonaws.com/my.bucket/k")
        profile.endpoint = "http://127.0.0.1:9000"
        profile.s3?.pathStyle = true
        #expect(S3Location(profile: profile).url(of: "in/e\u{301}") == "http://127.0.0.1:9000/bkt/in/e%CC%81")
        #expect(S3Dialect(profile: profile).requestedName(for: "dir/a.txt") == "in/dir/a.txt")
        // No bucket can be a subdomain of an address: the path, as the AWS SDKs do, asked or not.
        profile.s3?.pathStyle = false
        for endpoint in ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"] {
            profile.endpoint = endpoint
            #expect(S3Location(profile: profile).url(of: "k") == endpoint + "/bkt/k")
        }
        profile.endpoint = "http://minio.internal:9000"
        #expect(S3Location(profile: profile).url(of: "k") == "http://bkt.minio.internal:9000/k")
    }

    @Test func s3AnswerDocumentsAreReadAndA200ErrorIsAnError() throws {
        let list = Data("""
            <?xml version="1.0" encoding="UTF-8"?>
            <ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
            <Part><PartNumber>1</PartNumber><ETag>"aa"</ETag><Size>8</Size></Part>
            <Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag><Size>8</Size></Part></ListPartsResult>
            """.utf8)
        let root = try S3XMLElement.parse(list, expecting: "ListPartsResult")
        #expect(root.all("Part").compactMap { $0.value("ETag").map(S3ETag.bare) } == ["aa", "bb"])
        #expect(root.value("NextPartNumberMarker") == "2")
        let error = Data("<Error><Code>InternalError</Code><Message>We encountered\nan internal error.</Message></Error>".utf8)
        do {
            _ = try S3XMLElement.parse(error, expecting: "CompleteMultipartUploadResult")
            Issue.record("a 200 <Error> was taken for success")
        } catch {
            #expect(error.serverCode == "InternalError" && error.isTransient && !error.message.contains("\n"))
        }
        #expect(throws: EngineError.self) { try S3XMLElement.parse(Data("not xml".utf8), expecting: "X") }
    }

    /// S3 answers a long CopyObject or CompleteMultipartUpload with its 200 head at once and
    /// keeps the connection alive with spaces until the document, declaration and all: an XML
    /// parser refuses a declaration after anything, spaces included.
    @Test func s3AnswerDocumentsAfterKeepAliveSpaces() throws {
        let padded = Data(("   \n  \r\n\t " + """
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUploadResult><ETag>"abc-2"</ETag></CompleteMultipartUploadResult>
            """).utf8)
        #expect(S3XMLElement.root(of: padded)?.value("ETag") == "\"abc-2\"")
        #expect(try S3XMLElement.parse(padded, expecting: "CompleteMultipartUploadResult").value("ETag") == "\"abc-2\"")
        let paddedError = Data("      <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code></Error>".utf8)
        #expect(S3XMLElement.root(of: paddedError)?.value("Code") == "SlowDown")
        #expect(S3XMLElement.root(of: Data("     ".utf8)) == nil)
    }
}

import Testing

@testable import HoistEngine

@Suite struct ProfileTests {
    let toml = """
        default_profile = "work"
        theme = "mono"
        [profiles.work]
        dialect = "lightfield"
        endpoint = "https://api.lightfield.app/"
        api_key_env = "LIGHTFIELD_API_KEY"
        purpose = "knowledge_user"

        [profiles.cdn]
        dialect = "luw"
        endpoint = "https://api.luw.ai"
        api_key_env = "LUW_API_TOKEN"
        pid = 123
        temporary = true
        """

    /// What reading `text` as config.toml says: its refusal, or "accepted".
    static func configMessage(_ text: String) -> String {
        do {
            _ = try HoistConfig(toml: text)
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test func parsesTheDocumentedShape() throws {
        let config = try HoistConfig(toml: toml)
        #expect(config.defaultProfile == "work")
        #expect(config.theme == "mono")
        #expect(config.profiles["work"]?.purpose == "knowledge_user")
        #expect(config.profiles["cdn"] == Profile(name: "cdn", dialect: .luw, endpoint: "https://api.luw.ai", apiKeyEnv: "LUW_API_TOKEN", pid: 123, temporary: true))
    }

    @Test func rejectsUnknownDialectsAndDanglingDefaults() {
        #expect(throws: EngineError.self) { try HoistConfig(toml: "[profiles.x]\ndialect = \"ftp\"\nendpoint = \"e\"\n") }
        #expect(throws: EngineError.self) { try HoistConfig(toml: "default_profile = \"nope\"\n") }
        #expect(throws: EngineError.self) { try HoistConfig(toml: "this is = = not toml") }
    }

    @Test("an unknown key (a misspelling such as the flag's no-clobber) or a value of the wrong type is refused by name, never ignored; values are not echoed")
    func unknownKeysAndWrongTypesAreRefusedByName() {
        let message = Self.configMessage
        let profile = "[profiles.s]\ndialect = \"s3\"\nbucket = \"b\"\n"
        #expect(message(profile + "no-clobber = true\n").hasPrefix("config.toml: profile s: unknown key no-clobber (did you mean no_clobber?)"))
        #expect(message("defaultprofile = \"s\"\n" + profile).hasPrefix("config.toml: unknown key defaultprofile; the keys are "))
        #expect(message("[profiles.w]\ndialect = \"lightfield\"\nendpoint = 42\n")
                == "config.toml: profile w: endpoint must be a string (in quotes), not an integer")
        #expect(message("background = \"yes\"\n") == "config.toml: background must be true or false, not a string (in quotes)")
        #expect(message(profile + "multipart_threshold = \"64M\"\n")
                == "config.toml: profile s: multipart_threshold must be an integer, not a string (in quotes)")
        #expect(message("profiles = 3\n") == "config.toml: profiles must be a table, not an integer")
        #expect(!message("[profiles.w]\ndialect = \"lightfield\"\nendpoint = \"SECRET-VALUE\"\nfoo = 1\n").contains("SECRET"))
        #expect(message(profile + "no_clobber = true\n") == "accepted")
    }

    @Test("the background engine's settings: idle exit and completed jobs listed, each refused out of range with its name")
    func engineSettings() throws {
        let config = try HoistConfig(toml: "engine_idle_exit = 600\nengine_list_done = 3\n")
        #expect(config.engineIdleExit == 600 && config.engineListDone == 3)
        #expect(try HoistConfig(toml: "").engineListDone == nil)
        #expect(try HoistConfig(toml: "engine_list_done = 0\n").engineListDone == 0)
        for (line, name) in [("engine_list_done = -1", "engine_list_done"), ("engine_list_done = 1000001", "engine_list_done"),
                             ("engine_idle_exit = 0", "engine_idle_exit")] {
            #expect {
                try HoistConfig(toml: line + "\n")
            } throws: { error in
                "\(error)".contains(name)
            }
        }
    }

    @Test func resolutionOrder() throws {
        let config = try HoistConfig(toml: toml)
        guard case .profile(let byDefault) = try ProfileSelection().resolve(config: config) else { Issue.record("no profile"); return }
        #expect(byDefault.name == "work")
        #expect(byDefault.endpoint == "https://api.lightfield.app")
        guard case .profile(let named) = try ProfileSelection(profile: "cdn", pid: 7).resolve(config: config) else { Issue.record("no profile"); return }
        #expect(named.pid == 7)
        let inline = ProfileSelection(endpoint: "http://127.0.0.1:1", dialect: .luw, apiKeyEnv: "K", temporary: true)
        guard case .profile(let made) = try inline.resolve(config: config) else { Issue.record("no profile"); return }
        #expect(made.dialect == .luw && made.temporary && made.apiKeyEnv == "K")
        #expect(try ProfileSelection(purpose: "general").resolve(config: HoistConfig()) == .embedded(purpose: "general"))
        #expect(throws: EngineError.self) { try ProfileSelection(profile: "missing").resolve(config: config) }
        #expect(throws: EngineError.self) { try ProfileSelection(endpoint: "http://x", dialect: .luw).resolve(config: config) }
        #expect(throws: EngineError.self) { try ProfileSelection(profile: "work", endpoint: "http://x").resolve(config: config) }
    }

    @Test("a flag of another dialect is refused by name, never ignored (a --no-clobber Luw ignored let an upload replace its object); the embedded server is lightfield")
    func flagsOfAnotherDialectAreRefused() throws {
        let config = try HoistConfig(toml: toml)
        func message(_ selection: ProfileSelection) -> String {
            do {
                _ = try selection.resolve(config: config, environment: [:])
                return "accepted"
            } catch {
                return error.message
            }
        }
        var luw = ProfileSelection(profile: "cdn")
        luw.noClobber = true
        luw.partJobs = 2
        #expect(message(luw) == "--no-clobber and --part-jobs belong to the s3 dialect, not luw")
        #expect(message(ProfileSelection(profile: "work", pid: 7)) == "--pid belongs to the luw dialect, not lightfield")
        var s3 = ProfileSelection(dialect: .s3, purpose: "general", temporary: true)
        s3.bucket = "b"
        #expect(message(s3) == "--purpose (lightfield), --temporary (luw) are not for the s3 dialect")
        s3 = ProfileSelection(dialect: .s3, apiKeyEnv: "K")
        s3.bucket = "b"
        #expect(message(s3).hasPrefix("--api-key-env is for the lightfield and luw dialects: s3 signs with AWS credentials"))
        // --dialect over a profile whose settings the other dialect has no use for: refused,
        // not dropped (its no_clobber, its persona).
        #expect(message(ProfileSelection(profile: "cdn", dialect: .lightfield)) == "--dialect lightfield over profile cdn (luw): its pid, temporary are not for the lightfield dialect")
        var embedded = ProfileSelection()
        embedded.multipartThreshold = 1 << 20
        #expect(message(embedded) == "--multipart-threshold belongs to the s3 dialect, not lightfield")
        #expect(try ProfileSelection(purpose: "general").resolve(config: HoistConfig()) == .embedded(purpose: "general"))
        // A query or fragment in the endpoint would put every call's path after it.
        #expect(message(ProfileSelection(endpoint: "http://127.0.0.1:1?x=1", dialect: .lightfield, apiKeyEnv: "K"))
                .hasPrefix("endpoint must be a base URL, without ?query or #fragment"))
        #expect(message(ProfileSelection(endpoint: "http://127.0.0.1:1/api#top", dialect: .lightfield, apiKeyEnv: "K"))
                .hasPrefix("endpoint must be a base URL"))
    }

    @Test("config.toml: a profile names its dialect, and holds no key of another (ignored, a Luw no_clobber would have let uploads replace objects)")
    func profileKeysOfAnotherDialectAreRefused() {
        let message = Self.configMessage
        #expect(message("[profiles.e]\n") == "config.toml: profile e: dialect is missing (lightfield, luw, s3)")
        #expect(message("[profiles.e]\ndialect = \"ftp\"\n") == "config.toml: profile e: dialect must be one of lightfield, luw, s3")
        #expect(message("[profiles.l]\ndialect = \"luw\"\nendpoint = \"http://h\"\nno_clobber = true\nbucket = \"b\"\n")
                == "config.toml: profile l: bucket, no_clobber are not for the luw dialect")
        #expect(message("[profiles.s]\ndialect = \"s3\"\nbucket = \"b\"\npurpose = \"general\"\n")
                == "config.toml: profile s: purpose is not for the s3 dialect")
        #expect(message(toml) == "accepted")
    }

    @Test func keysComeOnlyFromTheEnvironmentAndNeverPrint() throws {
        let profile = Profile(name: "p", dialect: .lightfield, endpoint: "e", apiKeyEnv: "HOIST_KEY")
        let key = try profile.resolveKey(environment: ["HOIST_KEY": "sekrit"])
        #expect(key.secret == "sekrit")
        #expect("\(key)" == "<redacted>")
        #expect(!String(reflecting: key).contains("sekrit"))
        #expect(throws: EngineError.missingKey(variable: "HOIST_KEY")) { try profile.resolveKey(environment: [:]) }
    }

    @Test func xdgPathsFollowTheEnvironment() {
        let paths = XDGPaths(environment: ["HOME": "/home/u", "XDG_STATE_HOME": "/state"])
        #expect(paths.configFile == "/home/u/.config/hoist/config.toml")
        #expect(paths.stateDirectory == "/state/hoist")
        #expect(paths.dataDirectory == "/home/u/.local/share/hoist")
    }
}

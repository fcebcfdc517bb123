import HoistTerminal
import HoistTUI
import Testing

@Suite("Theme loading")
struct ThemeLoaderTests {
    @Test("NO_COLOR selects mono unless a theme was asked for")
    func noColor() throws {
        let loader = ThemeLoader(searchPath: [shippedThemes])
        #expect(try loader.resolve(requested: nil, environment: ["NO_COLOR": "1"]).name == "mono")
        #expect(try loader.resolve(requested: nil, environment: ["NO_COLOR": ""]).name == "default")
        #expect(try loader.resolve(requested: nil, environment: [:]).name == "default")
        #expect(try loader.resolve(requested: "light", environment: ["NO_COLOR": "1"]).name == "light")
        let mono = try loader.resolve(requested: nil, environment: ["NO_COLOR": "yes"])
        #expect(ThemeRole.allCases.allSatisfy { mono[$0].foreground == .default && mono[$0].background == .default })
    }

    @Test("default and mono are built in when no theme files are found")
    func builtins() throws {
        let loader = ThemeLoader(searchPath: ["/nonexistent/hoist-themes"])
        #expect(try loader.load("default") == .default)
        #expect(try loader.resolve(requested: nil, environment: ["NO_COLOR": "1"]) == .mono)
        #expect(throws: ThemeError.self) { try loader.load("light") }
    }

    @Test("the user's config directory comes before the bundled themes")
    func searchOrder() throws {
        let config = try TemporaryDirectory()
        defer { config.cleanUp() }
        try config.write("hoist/themes/default.toml", #"title = "magenta""#)
        let path = ThemeLoader.searchPath(environment: ["XDG_CONFIG_HOME": config.path], bundled: [shippedThemes])
        #expect(path == [config.path + "/hoist/themes", shippedThemes])
        let loader = ThemeLoader(searchPath: path)
        let theme = try loader.resolve(requested: nil, environment: [:])
        #expect(theme[.title] == Style(foreground: .magenta))
        #expect(try loader.load("light")[.title] == Style(foreground: .blue, attributes: .bold))
    }

    @Test("without XDG_CONFIG_HOME the search starts in ~/.config")
    func homeConfig() {
        #expect(ThemeLoader.searchPath(environment: ["HOME": "/home/u"], bundled: ["/opt/hoist/themes"])
                == ["/home/u/.config/hoist/themes", "/opt/hoist/themes"])
        #expect(ThemeLoader.searchPath(environment: ["XDG_CONFIG_HOME": "", "HOME": "/h"], bundled: [])
                == ["/h/.config/hoist/themes"])
        #expect(ThemeLoader.searchPath(environment: [:], bundled: ["b"]) == ["b"])
    }

    @Test("an unknown name is a clear error listing what exists")
    func unknownName() {
        let loader = ThemeLoader(searchPath: [shippedThemes])
        do {
            _ = try loader.load("solarised")
            Issue.record("loading an unknown theme succeeded")
        } catch {
            #expect(error == .unknownTheme("solarised", searched: [shippedThemes],
                                           available: ["default", "light", "mono", "solarized"]))
            #expect(error.description.contains("unknown theme 'solarised'"))
            #expect(error.description.contains("available: default, light, mono, solarized"))
        }
    }

    @Test("names are file names; paths load files directly")
    func namesAndPaths() throws {
        let loader = ThemeLoader(searchPath: [shippedThemes])
        #expect(throws: ThemeError.invalidName(".hidden")) { try loader.load(".hidden") }
        #expect(throws: ThemeError.invalidName("a b")) { try loader.load("a b") }
        #expect(throws: ThemeError.unreadable(file: "/nonexistent/x.toml", reason: "no such file")) {
            try loader.load("/nonexistent/x.toml")
        }
        let direct = try loader.load(shippedThemes + "/light.toml")
        #expect(direct[.title] == Style(foreground: .blue, attributes: .bold))
    }
}

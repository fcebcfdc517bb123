import HoistTerminal
import HoistTUI
import Testing

@Suite("Shipped themes")
struct ShippedThemeTests {
    private let loader = ThemeLoader(searchPath: [shippedThemes])

    @Test("every shipped theme file loads", arguments: ["default", "light", "mono", "solarized"])
    func loads(name: String) throws {
        let theme = try loader.load(name)
        #expect(theme.name == name)
        #expect(theme.defines(.title))
        #expect(theme.defines(.queueBarDone))
    }

    @Test("the shipped files are what the loader lists")
    func available() {
        #expect(loader.availableThemes() == ["default", "light", "mono", "solarized"])
    }

    @Test("default.toml and mono.toml match the built-in themes and define every role", arguments: [
        ("default", Theme.default), ("mono", Theme.mono),
    ])
    func matchesBuiltin(name: String, builtin: Theme) throws {
        let file = try loader.load(name)
        for role in ThemeRole.allCases {
            #expect(file.defines(role), "\(name).toml lacks \(role.rawValue)")
            #expect(builtin.defines(role), "built-in \(name) lacks \(role.rawValue)")
            #expect(file[role] == builtin[role], "\(name): \(role.rawValue)")
        }
    }

    @Test("mono uses no colour at all")
    func monoIsColourless() throws {
        let mono = try loader.load("mono")
        for role in ThemeRole.allCases {
            #expect(mono[role].foreground == .default && mono[role].background == .default, "\(role.rawValue)")
        }
        #expect(mono[.selection].attributes == .reverse)
    }

    @Test("light and solarized use their palettes, shadowing colour names")
    func palettes() throws {
        let light = try loader.load("light")
        #expect(light[.queueBarDone] == Style(foreground: .indexed(28)))  // palette "green" = 28
        #expect(light[.selection] == Style(foreground: .black, background: .indexed(153)))
        let solarized = try loader.load("solarized")
        #expect(solarized[.browserDir] == Style(foreground: .rgb(red: 0x26, green: 0x8b, blue: 0xd2), attributes: .bold))
        #expect(solarized[.browserDir].downsampled(to: .xterm256).foreground == .indexed(32))
    }

    @Test("no role in a shipped theme is invisible: foreground differs from background")
    func readable() throws {
        for name in ["default", "light", "mono", "solarized"] {
            let theme = try loader.load(name)
            for role in ThemeRole.allCases {
                let style = theme[role]
                #expect(style.foreground == .default || style.foreground != style.background, "\(name) \(role.rawValue)")
            }
        }
    }
}

import HoistTerminal

extension Theme {
    /// The built-in dark theme, identical to `themes/default.toml`; every other theme falls
    /// back to it, so hoist draws sensibly even without its theme files.
    public static let `default` = Theme(name: "default", styles: builtinDefaultStyles)

    /// The built-in colourless theme, identical to `themes/mono.toml`; used when `NO_COLOR`
    /// is set. Attributes alone tell things apart.
    public static let mono = Theme(name: "mono", styles: builtinMonoStyles)

    static let builtinDefaultStyles: [ThemeRole: Style] = [
        .text: Style(),
        .title: Style(foreground: .cyan, attributes: .bold),
        .border: Style(foreground: .brightBlack),
        .borderFocused: Style(foreground: .cyan),
        .browserPath: Style(foreground: .blue, attributes: .bold),
        .browserDir: Style(foreground: .blue, attributes: .bold),
        .browserFile: Style(),
        .browserLink: Style(foreground: .cyan),
        .browserHidden: Style(foreground: .brightBlack),
        .browserSize: Style(foreground: .brightBlack),
        .browserMark: Style(foreground: .yellow, attributes: .bold),
        .browserFilter: Style(foreground: .yellow),
        .queueName: Style(),
        .queueBarDone: Style(foreground: .green),
        .queueBarTodo: Style(foreground: .brightBlack, background: .indexed(236)),
        .queueDetail: Style(),
        .queueStateQueued: Style(foreground: .brightBlack),
        .queueStateActive: Style(foreground: .cyan),
        .queueStateRetrying: Style(foreground: .yellow),
        .queueStateDone: Style(foreground: .green),
        .queueStateFailed: Style(foreground: .red, attributes: .bold),
        .queueStateCancelled: Style(foreground: .magenta),
        .statusText: Style(),
        .statusValue: Style(attributes: .bold),
        .statusError: Style(foreground: .red, attributes: .bold),
        .statusWarning: Style(foreground: .yellow),
        .logTime: Style(foreground: .brightBlack),
        .logText: Style(),
        .logError: Style(foreground: .red),
        .helpKey: Style(foreground: .yellow, attributes: .bold),
        .helpText: Style(),
        .selection: Style(foreground: .brightWhite, background: .indexed(24)),
        .selectionInactive: Style(background: .indexed(238)),
        .dialog: Style(background: .indexed(236)),
    ]

    static let builtinMonoStyles: [ThemeRole: Style] = [
        .text: Style(),
        .title: Style(attributes: .bold),
        .border: Style(),
        .borderFocused: Style(attributes: .bold),
        .browserPath: Style(attributes: .bold),
        .browserDir: Style(attributes: .bold),
        .browserFile: Style(),
        .browserLink: Style(attributes: .underline),
        .browserHidden: Style(attributes: .dim),
        .browserSize: Style(),
        .browserMark: Style(attributes: .bold),
        .browserFilter: Style(attributes: .underline),
        .queueName: Style(),
        .queueBarDone: Style(),
        .queueBarTodo: Style(attributes: .dim),
        .queueDetail: Style(),
        .queueStateQueued: Style(attributes: .dim),
        .queueStateActive: Style(),
        .queueStateRetrying: Style(attributes: .underline),
        .queueStateDone: Style(attributes: .bold),
        .queueStateFailed: Style(attributes: [.bold, .underline]),
        .queueStateCancelled: Style(attributes: .dim),
        .statusText: Style(),
        .statusValue: Style(attributes: .bold),
        .statusError: Style(attributes: [.bold, .underline]),
        .statusWarning: Style(attributes: .bold),
        .logTime: Style(attributes: .dim),
        .logText: Style(),
        .logError: Style(attributes: .bold),
        .helpKey: Style(attributes: .bold),
        .helpText: Style(),
        .selection: Style(attributes: .reverse),
        .selectionInactive: Style(attributes: .underline),
        .dialog: Style(),
    ]
}

import ArgumentParser

/// The `hoist` command: argument parsing and wiring only.
@main
struct Hoist: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hoist",
        abstract: "A terminal upload manager for presigned-URL upload services.",
        subcommands: [ServeCommand.self, KeysCommand.self])
}

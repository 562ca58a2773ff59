import Foundation
import PackagePlugin

/// Gives a target `BuildInfo.version` and `BuildInfo.commit`, written by scripts/build-info from
/// VERSION (the one version source of the binary, the wheel and the image) and the git commit.
///
/// A build command, not a prebuild one: SwiftPM reuses its build plan while no source changes, so
/// only a command with declared inputs reruns when VERSION changes or HEAD moves (a commit, checkout
/// or reset appends to the HEAD reflog). The manifest cannot do this: SwiftPM caches its evaluation.
@main
struct BuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let root = context.package.directoryURL
        let script = root.appending(path: "scripts/build-info")
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
        var inputs = [root.appending(path: "VERSION"), script]
        if let gitDirectory = Self.gitDirectory(root: root) {
            inputs += ["HEAD", "logs/HEAD"].map { gitDirectory.appending(path: $0) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
        }
        // Plugin commands run with an empty environment; a commit given to the build (a Docker build,
        // which has no .git) is handed on in the command's own environment, part of what reruns it.
        var environment: [String: String] = [:]
        if let commit = ProcessInfo.processInfo.environment["MOCKFILES_COMMIT"] { environment["MOCKFILES_COMMIT"] = commit }
        return [
            .buildCommand(
                displayName: "Writing BuildInfo.swift (VERSION and commit)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, "--swift", output.path],
                environment: environment,
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }

    /// `.git`, or where a worktree's `.git` file points.
    static func gitDirectory(root: URL) -> URL? {
        let dotGit = root.appending(path: ".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return dotGit }
        guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return nil }
        let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appending(path: path)
    }
}

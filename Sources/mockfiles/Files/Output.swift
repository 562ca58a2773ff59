import Foundation

/// What `files` and `batches` commands print: a table for people, the API's JSON for scripts (`--json`).
enum Output {
    static func encode(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }

    /// Pretty-printed, keys sorted, one document per command.
    static func printJSON(_ json: Data) {
        let pretty = (try? JSONSerialization.jsonObject(with: json)).map(encode) ?? json
        FileHandle.standardOutput.write(pretty + Data("\n".utf8))
    }

    /// A hint for people, on stderr so that stdout stays the table.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    static let columns = ["ID", "PURPOSE", "BYTES", "CREATED", "EXPIRES", "STATUS", "FILENAME"]

    static func printTable(_ files: [FileInfo]) {
        printRows(columns, files.map(row))
    }

    /// A header and rows in columns two spaces apart; the last column is not padded.
    static func printRows(_ columns: [String], _ body: [[String]]) {
        let rows = [columns] + body
        let widths = columns.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    static func row(_ file: FileInfo) -> [String] {
        let object = file.object
        return [
            file.id,
            object["purpose"] as? String ?? "",
            (object["bytes"] as? Int).map(String.init) ?? "",
            timestamp(object["created_at"]),
            timestamp(object["expires_at"]),
            object["status"] as? String ?? "",
            // A filename may hold anything; a table row must stay one line.
            (object["filename"] as? String ?? "").map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined(),
        ]
    }

    /// Unix seconds as `2026-11-21 21:05:54` (UTC); `-` when absent.
    static func timestamp(_ value: Any?) -> String {
        guard let seconds = value as? Int else { return "-" }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
            .formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
            .replacingOccurrences(of: "T", with: " ")
    }
}

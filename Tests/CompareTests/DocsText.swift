import Foundation

/// Reading the Markdown of README.md and docs/ for the tests that hold them to the code: sections by heading, list
/// items with their continuation lines, the options an option list names, links, and GitHub's heading anchors.
enum DocsText {
    /// The text of a file of the repository (the tests run from its root).
    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The lines under the line that is exactly `heading`, up to the next heading of the same or a higher level;
    /// nil when there is no such heading.
    static func section(_ text: String, heading: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == heading }) else { return nil }
        let level = heading.prefix { $0 == "#" }.count
        let end = lines[(start + 1)...].firstIndex { line in
            let hashes = line.prefix { $0 == "#" }.count
            return hashes > 0 && hashes <= level && line.dropFirst(hashes).hasPrefix(" ")
        } ?? lines.endIndex
        return lines[(start + 1)..<end].joined(separator: "\n")
    }

    /// The list items (`- ...`) of `text`, each with its continuation lines (indented by two spaces) joined by a space.
    static func items(_ text: String) -> [String] {
        var items: [String] = []
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("- ") {
                if let current { items.append(current) }
                current = String(line)
            } else if line.hasPrefix("  "), !line.trimmingCharacters(in: .whitespaces).isEmpty, let item = current {
                current = item + " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                if let current { items.append(current) }
                current = nil
            }
        }
        if let current { items.append(current) }
        return items
    }

    /// The options an option list names: in every item that starts with an option in backticks, the long options
    /// (`--name`) of its lead, the code spans before the first "`:" that ends them.
    static func namedOptions(_ section: String) -> Set<String> {
        var names: Set<String> = []
        for item in items(section) where item.hasPrefix("- `-") {
            guard let end = item.range(of: "`:") else { continue }
            names.formUnion(longOptions(in: item[..<end.lowerBound]))
        }
        return names
    }

    /// Every `--name` in `text` that starts a word.
    static func longOptions(in text: Substring) -> Set<String> {
        var names: Set<String> = []
        var rest = text[...]
        while let dashes = rest.range(of: "--") {
            let before = dashes.lowerBound == text.startIndex ? nil : text[text.index(before: dashes.lowerBound)]
            let name = rest[dashes.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" }
            if before.map({ " `([/".contains($0) }) ?? true, name.first?.isLetter == true {
                names.insert("--" + name)
            }
            rest = rest[dashes.upperBound...]
        }
        return names
    }

    /// The long options `bench SUBCOMMAND --help` lists: the names in its option column (a line that starts with two
    /// spaces and a dash), `--help` left out.
    static func helpOptions(_ help: String) -> Set<String> {
        var names: Set<String> = []
        for line in help.split(separator: "\n") where line.hasPrefix("  -") {
            for word in line.split(separator: " ") {
                let name = word.trimmingCharacters(in: CharacterSet(charactersIn: ","))
                if name.hasPrefix("--") {
                    names.insert(name)
                    break
                }
                if !name.hasPrefix("-") { break }
            }
        }
        names.remove("--help")
        return names
    }

    /// The targets of the Markdown links and images of `text`: `[...](TARGET)`.
    static func links(_ text: String) -> [String] {
        text.components(separatedBy: "](").dropFirst().compactMap { rest in
            rest.firstIndex(of: ")").map { String(rest[..<$0]) }
        }
    }

    /// GitHub's anchor for a heading: lowercased, punctuation but `-` and `_` dropped, spaces made dashes.
    static func anchor(_ heading: String) -> String {
        let title = heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
        return String(title.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == " " }
            .map { $0 == " " ? "-" : $0 })
    }

    /// The anchors of every heading of `text`.
    static func anchors(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").filter { $0.hasPrefix("#") }.map { anchor(String($0)) })
    }

    /// `connect_{p50,p90}_us` as `connect_p50_us`, `connect_p90_us`: the brace lists the pages use for column names.
    static func expandBraces(_ name: String) -> [String] {
        guard let open = name.firstIndex(of: "{"), let close = name[open...].firstIndex(of: "}") else { return [name] }
        let head = name[..<open]
        let tail = String(name[name.index(after: close)...])
        return name[name.index(after: open)..<close].split(separator: ",").flatMap { choice in
            expandBraces(head + choice + tail)
        }
    }

    /// The code spans of `text` (between backticks), brace lists expanded.
    static func codeSpans(_ text: String) -> Set<String> {
        let parts = text.components(separatedBy: "`")
        return Set(stride(from: 1, to: parts.count, by: 2).flatMap { expandBraces(parts[$0]) })
    }
}

import Wire

extension Units {
    /// `--work`: a comma list of `cpu=D`, `wait=D` and `block=D`, each kind at most once, where D is a duration
    /// (`50us`), a uniform range (`1ms-3ms`), an exponential mean (`exp:1ms`) or a mix whose later parts follow the
    /// kind's first after commas (`wait=150us:90%,2ms:10%`); or `none`, which turns off `bench compare`'s default.
    public static func work(_ text: String, option: String = "--work") throws(ParseError) -> WorkPlan {
        if text == "none" { return WorkPlan() }
        let usage = "\(option) takes a comma list of cpu=D, wait=D and block=D, each D a duration (50us), a range "
            + "(1ms-3ms), exp:MEAN (exp:1ms) or a mix (150us:90%,2ms:10%), or none"
        var kinds: [(name: Substring, parts: [Substring])] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            if let equals = item.firstIndex(of: "=") {
                let name = item[..<equals]
                guard ["cpu", "wait", "block"].contains(name) else {
                    throw ParseError(description: "\(usage); '\(name)' is none of them, in '\(text)'")
                }
                guard !kinds.contains(where: { $0.name == name }) else {
                    throw ParseError(description: "\(option) names \(name) twice in '\(text)': give it once")
                }
                kinds.append((name, [item[item.index(after: equals)...]]))
            } else if !kinds.isEmpty && item.contains(":") {
                kinds[kinds.count - 1].parts.append(item)
            } else {
                throw ParseError(description: "\(usage); got '\(item)' in '\(text)'")
            }
        }
        guard !kinds.isEmpty else { throw ParseError(description: "\(usage); got '\(text)'") }
        var plan = WorkPlan()
        for kind in kinds {
            let duration = try workDuration(kind.parts, option: "\(option) \(kind.name)")
            switch kind.name {
            case "cpu": plan.cpu = duration
            case "wait": plan.wait = duration
            default: plan.block = duration
            }
        }
        return plan
    }

    private static func workDuration(_ parts: [Substring], option: String) throws(ParseError) -> WorkDuration {
        func nanos(_ text: Substring) throws(ParseError) -> UInt64 {
            let micros = UInt64(try durationMicros(String(text), option: option))
            guard micros <= WorkPlan.longestNanos / 1_000 else {
                throw ParseError(description: "\(option): at most 60s of work a request, got '\(text)'")
            }
            return micros * 1_000
        }
        let first = parts[0]
        if parts.count == 1 && first.hasPrefix("exp:") {
            let mean = try nanos(first.dropFirst("exp:".count))
            guard mean > 0 else { throw ParseError(description: "\(option): exp: takes a mean above 0, got '\(first)'") }
            return .exponential(mean)
        }
        if parts.count == 1 && !first.contains(":") {
            let bounds = first.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2 else { return .fixed(try nanos(first)) }
            let (low, high) = (try nanos(bounds[0]), try nanos(bounds[1]))
            guard low <= high else { throw ParseError(description: "\(option): a range needs MIN <= MAX, got '\(first)'") }
            return .uniform(low, high)
        }
        var mix: [(nanos: UInt64, share: Double)] = []
        for part in parts {
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2, let percent = share(String(fields[1])) else {
                throw ParseError(description: "\(option) takes a mix such as 150us:90%,2ms:10% (each part D:P%), "
                    + "got '\(part)'")
            }
            mix.append((try nanos(fields[0]), percent / 100))
        }
        try checkWhole(mix.map { $0.share * 100 }, what: "\(option): the shares")
        return .mix(mix)
    }
}

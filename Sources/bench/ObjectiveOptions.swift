import ArgumentParser
import Compare
import Driver

/// `--objective`, repeatable, shared by `bench drive` and `bench compare` through `@OptionGroup`: what a run must meet
/// to exit 0 (``Bench/conclude(interrupted:failed:missedObjective:)``).
struct ObjectiveOptions: ParsableArguments {
    @Option(name: .customLong("objective"), help: ArgumentHelp(
        "What the run must meet, repeatable: a percentile of total latency (p99<10ms, p99.9<=50ms), of connect or "
            + "first byte (connect.p99<2ms, first_byte.p99<5ms), failures in percent of the exchanges "
            + "(errors<0.1%), or achieved over offered rate with --rate (achieved>=0.95); one missed exits 3.",
        valueName: "objective"))
    var texts: [String] = []

    /// The objectives, each able to judge a run of `load`; the error says what is wrong and how to write it.
    func objectives(for load: LoadSettings) throws -> [Objective] {
        var objectives: [Objective] = []
        for text in texts {
            let objective: Objective
            do {
                objective = try Objective(parsing: text)
            } catch {
                throw ValidationError(error.description)
            }
            if let problem = objective.problem(for: load) { throw ValidationError(problem) }
            objectives.append(objective)
        }
        return objectives
    }
}

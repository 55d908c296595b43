import Driver
import Foundation
import Servers
import SystemCalls

/// One model's soak: the rate it ran at, what the driver saw (its summary.csv row), how it ended, and the verdict
/// on each series of each side.
public struct SoakModel: Sendable {
    public var capacity: Double?
    /// The drive's figures (``CellResult/childSummary``), the server's usage, and why the model failed if it did.
    public var result: CellResult
    public var verdicts: [(process: SoakSample.Process, verdict: GrowthVerdict)] = []

    public var model: String { result.cell.model }
    /// The offered rate; nil when the model was not soaked (no capacity, no server).
    public var rate: Double? { result.settings.rate?.rates.max() }
    public var grew: Bool { verdicts.contains { $0.verdict.grew } }
}

/// Runs `bench soak`: for each model in turn, finds its capacity (or takes the given rate), starts its server as
/// `bench serve` and its driver as `bench drive` (children both, so that each is measured alone: the soak's own
/// bookkeeping grows with the samples it keeps), and samples both process groups from /proc until the drive ends.
/// A stop signal ends the model's soak at once, keeping every sample so far.
public struct SoakRun {
    public let settings: SoakSettings
    /// This executable, started again as `bench serve`, `bench drive` and, for prefork, its workers.
    public let executable: String
    /// The results directory: each driver writes its files into `drive-MODEL/` there.
    public let directory: String

    public init(settings: SoakSettings, executable: String, directory: String) {
        self.settings = settings
        self.executable = executable
        self.directory = directory
    }

    /// How often the files are rewritten while a model soaks: whole files at most this old when the run is killed.
    static let writeEverySeconds = 10.0

    /// Soaks every model. `searched` is called after each step of a capacity search with every step so far;
    /// `recorded` with every sample and every model so far, every ``writeEverySeconds`` and when a model ends (the
    /// model soaking then is the last, its verdicts not yet given).
    public func run(
        searched: (KneeStep, [KneeStep]) throws -> Void,
        recorded: ([SoakSample], [SoakModel]) throws -> Void
    ) async throws -> (models: [SoakModel], samples: [SoakSample], steps: [KneeStep], interrupted: Bool) {
        var models: [SoakModel] = []
        var samples: [SoakSample] = []
        var steps: [KneeStep] = []
        for model in settings.compare.models {
            if Interrupt.requested { break }
            var load = settings.compare.load
            load.rate = nil
            (load.idle, load.slow) = Self.background(load, model: model, threads: settings.compare.serverThreads)
            var soaked = SoakModel(
                capacity: nil,
                result: CellResult(
                    cell: .init(subject: .model(model), clients: load.clients, repetition: 1), settings: load,
                    drive: nil, server: nil, floor: nil, failure: nil))
            let rate: Double
            if let given = settings.rate {
                rate = given
            } else {
                var search = settings.search
                search.compare.models = [model]
                (search.compare.load.idle, search.compare.load.slow) = (load.idle, load.slow)
                let found = try await KneeRun(settings: search, executable: executable).run { step, _ in
                    steps.append(step)
                    try searched(step, steps)
                }.capacities.first
                soaked.capacity = found?.capacityPerSecond
                guard let capacity = found?.capacityPerSecond, !Interrupt.requested else {
                    if let failure = found?.failure, let unavailable = ServerUnavailable(errorOutput: failure) {
                        (soaked.result.failure, soaked.result.skipped) = (unavailable.reason, true)
                    } else if !Interrupt.requested {
                        soaked.result.failure = found?.failure.map { "capacity search: \($0)" }
                            ?? "no rate held \(search.objective) in the capacity search; give --rate"
                    }
                    models.append(soaked)
                    try recorded(samples, models)
                    continue
                }
                rate = settings.load * capacity
            }
            soaked.result.settings.rate = .constant(rate)
            models.append(soaked)
            let from = samples.count
            models[models.count - 1] = await soak(model, soaked) { sample in
                samples.append(sample)
            } flush: {
                try recorded(samples, models)
            }
            for process in SoakSample.Process.allCases {
                let mine = samples[from...].filter { $0.process == process }
                for metric in GrowthVerdict.Metric.allCases {
                    let series = mine.map { (time: $0.time, value: $0.value(metric)) }
                    let verdict = GrowthVerdict(metric: metric, series: series, background: load.idle + load.slow)
                    models[models.count - 1].verdicts.append((process, verdict))
                }
            }
            try recorded(samples, models)
        }
        return (models, samples, steps, Interrupt.requested)
    }

    /// The idle and slow clients `model` gets: as many as asked, but at most a quarter each of the connections it
    /// serves at once. Each holds one of them for the server's read timeout, so a blocking loop (one) or prefork's
    /// workers (one each) given any would serve no measured client: the soak would measure a queue, not a leak.
    static func background(_ load: LoadSettings, model: ServerModel, threads: Int?) -> (idle: Int, slow: Int) {
        guard let serving = model.traits.concurrentConnections(threads ?? model.defaultThreads) else {
            return (load.idle, load.slow)
        }
        return (min(load.idle, serving / 4), min(load.slow, serving / 4))
    }

    /// One model's soak, from its server's start to its stop.
    private func soak(
        _ model: ServerModel, _ soaked: SoakModel, sampled: (SoakSample) -> Void, flush: () throws -> Void
    ) async -> SoakModel {
        var soaked = soaked
        var load = soaked.result.settings
        let pinned = settings.compare.pin && CPUAffinity.availableCores >= 2
        let server: ServerProcess
        do {
            server = try ServedCell(executable: executable, settings: settings.compare)
                .startServer(model, load, cpu: pinned ? 1 : nil)
        } catch {
            if let unavailable = ServerUnavailable(errorOutput: "\(error)") {
                (soaked.result.failure, soaked.result.skipped) = (unavailable.reason, true)
            } else {
                soaked.result.failure = "server did not start: \(error)"
            }
            return soaked
        }
        load.port = server.port
        soaked.result.settings = load
        let out = directory + "/drive-" + model.rawValue
        let driver: ChildProcess
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            // Named as its parent, as the server is, so that a soak killed outright leaves no driver running.
            driver = try ChildProcess(
                executable, ["drive"] + load.driveArguments + ["--quiet", "--out", out, "--label", model.rawValue],
                stderr: .file(out + ".log"), environment: [ParentWatch.entry])
        } catch {
            soaked.result.server = server.stop(timeoutSeconds: settings.compare.stopTimeoutSeconds)
            soaked.result.failure = "the driver did not start: \(error)"
            return soaked
        }
        if pinned { CPUAffinity.pin(driver.pid, to: 0) }
        let started = ContinuousClock.now
        // The drive's own deadline, as bench check gives its drivers: its window, one timeout, and time to write.
        let deadline = started + .microseconds(load.warmupMicros + load.durationMicros + load.timeoutMicros)
            + .seconds(15)
        var next = started
        var written = started
        while !driver.hasExited && !Interrupt.requested && ContinuousClock.now < deadline {
            if ContinuousClock.now >= next {
                let time = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
                if let stats = server.stats() {
                    sampled(SoakSample(model: model.rawValue, process: .server, time: time, stats: stats))
                }
                if let stats = ProcessStats.group(driver.pid) {
                    sampled(SoakSample(model: model.rawValue, process: .driver, time: time, stats: stats))
                }
                next += .microseconds(settings.sampleMicros)
                if ContinuousClock.now - written >= .seconds(Self.writeEverySeconds) {
                    try? flush()
                    written = ContinuousClock.now
                }
            }
            // Short naps, so that a stop signal or the driver's end is seen within 0.1 s whatever --sample is.
            try? await Task.sleep(until: min(next, ContinuousClock.now + .milliseconds(100)), clock: .continuous)
        }
        // SIGTERM: the driver writes what it measured and exits (143), as bench drive does for anyone.
        let stopTimeout = settings.compare.stopTimeoutSeconds
        let exit = await PosixThread.offload("soak-drv-wait") {
            driver.hasExited ? driver.wait(timeoutSeconds: stopTimeout).exit : driver.stop(timeoutSeconds: stopTimeout).exit
        }
        let diedDuringRun = server.hasExited
        let usage = server.stop(timeoutSeconds: stopTimeout)
        soaked.result.server = usage
        let summary = try? CSVReader.parse(String(contentsOfFile: out + "/summary.csv", encoding: .utf8))
        soaked.result.childSummary = summary?.records.first
        if diedDuringRun {
            soaked.result.failure = "server died during the soak (\(usage.exit))"
        } else if !exit.isClean && !Interrupt.requested || soaked.result.childSummary == nil {
            let log = (try? String(contentsOfFile: out + ".log", encoding: .utf8)) ?? ""
            soaked.result.failure = "the driver ended with \(exit)"
                + (soaked.result.childSummary == nil ? " and no summary.csv" : "")
                + (log.isEmpty ? "" : ": " + log.trimmingTrailingNewlines())
        } else if !usage.exit.isClean {
            soaked.result.failure = "server did not stop cleanly (\(usage.exit))"
        }
        return soaked
    }
}

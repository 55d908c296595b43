import Driver
import Foundation
import Metrics
import Servers
import Testing

@testable import Compare

/// The verdict on who limited a run: the driver (a thread busy 90% of the window, or its loop late by over 1 ms at
/// p99), the server (90% of the cores it could use), both, or neither.
struct DriverHealthTests {
    private func drive(threadBusy: [Double], lagMicros: UInt64, requests: Int = 1_000) -> DriveResult {
        var metrics = RunMetrics()
        metrics.threadCPUMicros = threadBusy.map { Int($0 * 10_000) }  // percent of a 1 s window
        for _ in 0..<100 { metrics.loopLag.record(micros: lagMicros) }
        metrics.counters.requests = requests
        return DriveResult(
            settings: LoadSettings(), startedAt: Date(), elapsedMicros: 1_000_000, metrics: metrics, interrupted: false)
    }

    @Test(arguments: [
        ([50.0, 60.0], 100 as UInt64, false), ([50.0, 95.0], 100, true), ([90.0], 100, true), ([10.0], 2_000, true),
        ([10.0], 1_000, false),
    ])
    func aBusyThreadOrALateLoopMakesTheDriverTheLimit(busy: [Double], lag: UInt64, bound: Bool) {
        let health = DriverHealth(drive(threadBusy: busy, lagMicros: lag))
        #expect(health.isBound == bound, "\(health.threadBusyPercent) lag \(health.loopLagP99Micros)")
        #expect(health.threadBusyPercent.count == busy.count)
    }

    @Test(arguments: [
        // driver busiest %, server CPU s in the 1 s window, server cores, verdict
        (50.0, 1.9, 2, "server"), (95.0, 1.9, 2, "both"), (95.0, 0.5, 2, "driver"), (50.0, 0.5, 2, "neither"),
        (50.0, 0.95, 1, "server"),
    ])
    func theCellSaysWhichSideLimited(driverBusy: Double, serverCPU: Double, cores: Int, verdict: String) {
        var result = CellResult(
            cell: .init(subject: .model(ServerModel(rawValue: "epoll")!), clients: 10, repetition: 1), settings: LoadSettings(),
            drive: drive(threadBusy: [driverBusy], lagMicros: 10), server: nil, floor: nil, failure: nil)
        (result.serverWindowCPUSeconds, result.serverCores) = (serverCPU, cores)
        #expect(result.bound?.rawValue == verdict)
        #expect(abs(result.serverBusyPercent! - 100 * serverCPU / Double(cores)) < 1e-9)
        let row = SummaryCSV.row(result, facts: MachineFacts(entries: []), runUTC: "")
        #expect(row["bound"] == verdict)
        #expect(row["driver_bound"] == (driverBusy >= 90 ? "yes" : "no"))
    }

    /// A driver loop that ran late while the server held the other core, with every core busy: the machine, not the
    /// driver, was the limit; the same lateness on a machine with cores to spare is the driver's.
    @Test(arguments: [(95.0, "machine"), (60.0, "driver")])
    func aLateLoopOnABusyMachineIsTheMachinesLimit(machineBusy: Double, verdict: String) {
        var result = CellResult(
            cell: .init(subject: .model(ServerModel(rawValue: "epoll")!), clients: 10, repetition: 1), settings: LoadSettings(),
            drive: drive(threadBusy: [60], lagMicros: 3_000), server: nil, floor: nil, failure: nil)
        (result.serverWindowCPUSeconds, result.serverCores, result.machineBusyPercent) = (1.2, 2, machineBusy)
        #expect(result.bound?.rawValue == verdict)
        let row = SummaryCSV.row(result, facts: MachineFacts(entries: []), runUTC: "")
        #expect(row["bound"] == verdict && row["machine_busy_pct"] == SummaryCSV.decimal(machineBusy, places: 1))
    }

    @Test func aServerOfUnknownUseLeavesOnlyTheDriversVerdict() {
        let result = CellResult(
            cell: .init(subject: .external("external"), clients: 10, repetition: 1), settings: LoadSettings(),
            drive: drive(threadBusy: [20], lagMicros: 10), server: nil, floor: nil, failure: nil)
        #expect(result.serverBound == nil && result.bound == nil)
        #expect(result.driverHealth?.isBound == false)
    }
}

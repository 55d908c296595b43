import Foundation
import Testing

@testable import Compare

@Suite struct BaselineTests {
    /// Writes `text` to a fresh file and loads it as a baseline.
    private func load(_ text: String) throws -> Baseline {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baseline-\(UUID()).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try Baseline(path: path)
    }

    /// The `CheckError` that loading `text` raises, checked to be an exit-2 error telling what to do.
    private func error(loading text: String) throws -> CheckError {
        var caught: CheckError?
        do { _ = try load(text) } catch let error as CheckError { caught = error }
        let error = try #require(caught)
        #expect(error.exitCode == 2)
        #expect(error.description.contains("`bench check --update`"))
        return error
    }

    @Test func exposesTheSettingsOfTheRun() throws {
        let baseline = try load(SummaryFixture(protocolName: "request", repetitions: 5).csv())
        let settings = baseline.settings
        #expect(settings.wireProtocol == .request)
        #expect(settings.models == ["blocking", "thread-pool", "event-loop"])
        #expect(settings.repetitions == 5)
        #expect(settings.clients == 100)
        #expect(settings.durationSeconds == 2 && settings.warmupSeconds == 0.5)
        #expect(settings.requestsPerConnection == 1 && settings.pipeline == 1 && settings.thinkMillis == 0)
        #expect(settings.sizeBytes == "16")
        #expect(settings.ratePerSecond == nil)
    }

    @Test func aMissingFileSaysHowToMakeOne() {
        #expect {
            try Baseline(path: "/nonexistent/results/baseline.csv")
        } throws: { error in
            let error = try #require(error as? CheckError)
            return error.exitCode == 2 && error.description.contains("/nonexistent/results/baseline.csv does not exist")
                && error.description.contains("`bench check --update`")
        }
    }

    @Test(arguments: ["total_p99_us", "floor_conns_per_s", "status", "size_bytes"])
    func aMissingColumnIsNamed(column: String) throws {
        let rows = SummaryFixture().rows().map { $0.filter { $0.key != column } }
        let csv = SummaryFixture.csv(rows)
        #expect(try error(loading: csv).description.contains("has no column '\(column)'"))
    }

    @Test(arguments: [
        ("conns_per_s", "12k"), ("total_p99_us", "nan"), ("floor_conns_per_s", "0"), ("clients", "1e2"),
        ("size_bytes", "16-"),
    ])
    func aGarbledNumberIsNamed(column: String, value: String) throws {
        let csv = SummaryFixture(overrides: [column: value]).csv()
        let message = try error(loading: csv).description
        #expect(message.contains("row 2 has '\(value)' in column '\(column)'"), "\(message)")
    }

    @Test func aFailedRowMayHaveEmptyFigures() throws {
        var rows = SummaryFixture().rows()
        rows[0].merge(["status": "failed: server did not start", "conns_per_s": "", "total_p99_us": ""]) { $1 }
        #expect(try load(SummaryFixture.csv(rows)).settings.models.count == 3)
    }

    @Test func mixedSettingsAreRefused() throws {
        var rows = SummaryFixture().rows()
        rows[4]["duration_s"] = "10"
        let message = try error(loading: SummaryFixture.csv(rows)).description
        #expect(message.contains("duration_s is '2' and '10'"), "\(message)")
    }

    /// The TLS a baseline was measured over is one of its settings; a file older than the column is plaintext.
    @Test func theTLSColumnIsASetting() throws {
        let tls = try load(SummaryFixture(overrides: ["tls": "--tls --tls-resume"]).csv())
        #expect(tls.settings.tls == "--tls --tls-resume")
        #expect(try load(SummaryFixture(overrides: ["tls": ""]).csv()).settings.tls == nil)
        #expect(try load(SummaryFixture().csv()).settings.tls == nil)
        var rows = SummaryFixture(overrides: ["tls": ""]).rows()
        rows[4]["tls"] = "--tls"
        let message = try error(loading: SummaryFixture.csv(rows)).description
        #expect(message.contains("tls is '' and '--tls'"), "\(message)")
    }

    /// An open loop's arrivals are one of its settings (uniform in a file older than the column); a rate that changed
    /// over the window is not one bench check can run again from rate_per_s, so such a baseline is refused.
    @Test func theArrivalsAreASettingAndAChangingRateIsRefused() throws {
        let open = ["rate_per_s": "1000", "arrivals": "poisson", "rate_schedule": ""]
        #expect(try load(SummaryFixture(overrides: open).csv()).settings.arrivals == .poisson)
        #expect(try load(SummaryFixture().csv()).settings.arrivals == nil)
        let ramp = SummaryFixture(overrides: open.merging(["rate_schedule": "--rate 500.0..1500.0"]) { $1 }).csv()
        let message = try error(loading: ramp).description
        #expect(message.contains("'--rate 500.0..1500.0' in column 'rate_schedule'"), "\(message)")
        #expect(message.contains("bench check measures a constant --rate"), "\(message)")
    }

    /// The servers' work is a setting bench check runs again (none in a file older than the column, and for
    /// `none`); a spec --work does not read is named.
    @Test func theWorkColumnIsASetting() throws {
        #expect(try load(SummaryFixture(overrides: ["work": "wait=1ms"]).csv()).settings.work == "wait=1ms")
        #expect(try load(SummaryFixture(overrides: ["work": "none"]).csv()).settings.work == nil)
        #expect(try load(SummaryFixture().csv()).settings.work == nil)
        let message = try error(loading: SummaryFixture(overrides: ["work": "nap=1ms"]).csv()).description
        #expect(message.contains("'nap=1ms' in column 'work'") && message.contains("'nap' is none of them"), "\(message)")
        var rows = SummaryFixture(overrides: ["work": ""]).rows()
        rows[4]["work"] = "cpu=50us"
        #expect(try error(loading: SummaryFixture.csv(rows)).description.contains("work is '' and 'cpu=50us'"))
    }

    @Test func anUnknownProtocolIsRefused() throws {
        let message = try error(loading: SummaryFixture(protocolName: "gopher").csv()).description
        #expect(message.contains("protocol 'gopher' where greeting, request, http, echo or multiplex belongs"), "\(message)")
    }

    @Test(arguments: [true, false])
    func aBaselineWithoutSuccessIsRefused(headerOnly: Bool) throws {
        let rows = SummaryFixture().rows().map { $0.merging(["status": "failed: timeout"]) { $1 } }
        let csv = SummaryFixture.csv(rows)
        let text = headerOnly ? String(csv.prefix { $0 != "\r\n" }) + "\r\n" : csv
        #expect(try error(loading: text).description.contains("no row with status 'ok'"))
    }

    @Test func unreadableCSVIsReported() throws {
        let message = try error(loading: "model,status\nblocking,\"ok\n").description
        #expect(message.contains("cannot be read") && message.contains("never closed"), "\(message)")
    }
}

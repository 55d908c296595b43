import Testing

@testable import Compare

/// The first line of a short command, as recorded in meta.csv.
struct CommandOutputTests {
    @Test func aCommandThatClosesItsOutputBeforeExitingIsWaitedFor() {
        // Prints, closes stdout and exits 0.3 s later: output ends before the exit, as when a command's child
        // prints and exits just before the command itself (`swift --version` came out "unknown" in meta.csv).
        let line = CommandOutput.firstLine(["sh", "-c", "echo 'first line'; echo second; exec >&-; sleep 0.3"])
        #expect(line == "first line")
    }

    @Test func aCommandPastItsDeadlineIsKilledAndGivesNothing() {
        let line = CommandOutput.firstLine(["sh", "-c", "echo early; exec sleep 30"], timeoutSeconds: 0.3)
        #expect(line == nil)
    }

    @Test func aFailingOrMissingCommandGivesNothing() {
        #expect(CommandOutput.firstLine(["sh", "-c", "echo output; exit 3"]) == nil)
        #expect(CommandOutput.firstLine(["no-such-command-for-bench"]) == nil)
    }
}

import Foundation
import Testing
@testable import Liquid

@Suite struct DateFilterTests {
    @Test(arguments: [
        ("{{ t | date: '%Y-%m-%d %H:%M' }}", "2024-03-10 23:30"),
        ("{{ t | date: '%H:%M %z', 'Europe/Paris' }}", "00:30 +0100"),
        ("{{ s | date: '%H:%M %z', 'Europe/Paris' }}", "01:30 +0200"),
        ("{{ t | date: '%H:%M %Z' }}", "23:30 UTC"),
        ("{{ t | date: '%a %-d %b %Y', 'Asia/Tokyo' }}", "Mon 11 Mar 2024"),
        ("{{ t | date: '%I:%M %p', 'America/New_York' }}", "07:30 PM"),
        ("{{ t | date: '%s' }}", "1710113400"),
        ("{{ t | date: '%j %U %W %u %w %V %G' }}", "070 10 10 7 0 10 2024"),
        ("{{ t | date: '%-m/%e/%y %^b %10A|' }}", "3/10/24 MAR     Sunday|"),
        ("{{ '2024-03-10T23:30:00+02:00' | date: '%H:%M %z %:z' }}", "23:30 +0200 +02:00"),
        ("{{ 'March 14, 2016' | date: '%b %d, %y' }}", "Mar 14, 16"),
        ("{{ '2016-03-14 10:05' | date: '%-I:%M%P' }}", "10:05am"),
        ("{{ 'Tue, 12 Mar 2024 08:00:00 GMT' | date: '%F %T' }}", "2024-03-12 08:00:00"),
        ("{{ 0 | date: '%c' }}", "Thu Jan  1 00:00:00 1970"),
        ("{{ 'not a date' | date: '%Y' }}", "not a date"),
        ("{{ now | date: '%Y' }}", "2026"),
    ])
    func formatsAsRubyDoes(template: String, expected: String) throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(try render(template, ["t": "2024-03-10T23:30:00Z", "s": "2024-07-10T23:30:00Z", "now": "now"], options: RenderOptions(now: now)) == expected)
    }

    @Test func renderWideZoneAppliesToEveryDate() throws {
        let options = RenderOptions(timeZone: TimeZone(identifier: "Australia/Sydney"))
        #expect(try render("{{ t | date: '%d %H:%M' }}", ["t": "2024-03-10T23:30:00Z"], options: options) == "11 10:30")
        #expect(try render("{{ t | date: '%d %H:%M', 'UTC' }}", ["t": "2024-03-10T23:30:00Z"], options: options) == "10 23:30")
    }

    /// Ruby's `Time.at` takes any integer. The ends of `Int`'s range are years in the hundreds of billions: the end of
    /// 64-bit `time_t`, 15:30:07 UTC on Sunday 4 December 292,277,026,596, and its negative counterpart (checked with
    /// Python's `datetime` moved by whole 400-year cycles). A fuzz run found the overflow they caused.
    @Test(arguments: [
        (Int.max, "UTC", "292277026596-12-04 15:30:07 +0000 Sun"),
        (Int.min, "UTC", "-292277022657-01-27 08:29:52 +0000 Sun"),
        (Int.max, "Etc/GMT-9", "292277026596-12-05 00:30:07 +0900 Mon"),
        (Int.min, "Etc/GMT+8", "-292277022657-01-27 00:29:52 -0800 Sun"),
        (-1, "UTC", "1969-12-31 23:59:59 +0000 Wed"),
        (-86400, "UTC", "1969-12-31 00:00:00 +0000 Wed"),
    ])
    func extremeTimestampsFormat(seconds: Int, zone: String, expected: String) throws {
        #expect(try render("{{ t | date: '%Y-%m-%d %H:%M:%S %z %a', z }}", ["t": .int(seconds), "z": .string(zone)]) == expected)
    }

    @Test func unknownZoneIsAnError() {
        #expect(renderError("{{ 0 | date: '%H', 'Mars/Olympus' }}")?.kind == .argument)
    }
}

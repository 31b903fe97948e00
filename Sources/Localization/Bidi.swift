/// What a piece of text holds of the two directions, for isolating it inside text of the other one.
///
/// A character is right-to-left when it lies in the ranges UAX #9 gives the right-to-left classes (R and AL) by
/// default (`DerivedBidiClass.txt`'s `@missing` lines: Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and
/// their supplements and presentation forms, and the right-to-left ranges of the supplementary planes); a letter
/// outside them is left-to-right. Digits and punctuation are neither.
public enum Bidi {
    static let rightToLeft: [ClosedRange<UInt32>] = [
        0x0590...0x08FF, 0xFB1D...0xFDFF, 0xFE70...0xFEFF, 0x10800...0x10FFF, 0x1E800...0x1EFFF,
    ]

    public static func isRightToLeft(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        guard v >= 0x0590 else { return false }
        return rightToLeft.contains { $0.contains(v) }
    }

    /// Whether `text` has a right-to-left character, and whether it has a left-to-right letter.
    public static func strong(in text: some StringProtocol) -> (rtl: Bool, ltr: Bool) {
        var rtl = false, ltr = false
        for scalar in text.unicodeScalars {
            if isRightToLeft(scalar) {
                rtl = true
            } else if scalar.value >= 0x41, scalar.properties.isAlphabetic {
                ltr = true
            }
            if rtl && ltr { break }
        }
        return (rtl, ltr)
    }

    /// Whether `text`, put into text written in `direction`, needs isolating: it has a strong character of the
    /// other direction.
    public static func needsIsolation(_ text: some StringProtocol, in direction: TextDirection) -> Bool {
        let s = strong(in: text)
        return direction == .rtl ? s.ltr : s.rtl
    }
}

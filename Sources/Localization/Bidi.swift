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
        guard v >= 0x0590, rightToLeft.contains(where: { $0.contains(v) }) else { return false }
        // In those ranges, digits (classes AN and EN), combining marks (NSM) and the byte order mark (BN) are not
        // strong: they take the direction around them.
        if (0x0660...0x0669).contains(v) || (0x06F0...0x06F9).contains(v) || v == 0xFEFF { return false }
        let category = scalar.properties.generalCategory
        return category != .nonspacingMark && category != .enclosingMark
    }

    /// Whether `text` has a right-to-left character, and whether it has a left-to-right letter.
    @inlinable
    public static func strong(in text: some StringProtocol) -> (rtl: Bool, ltr: Bool) {
        // ASCII (most names, numbers, addresses): no right-to-left character, and a letter is left to right.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return (false, text.utf8.contains { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A })
        }
        var rtl = false, ltr = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                // ASCII: a letter is left to right; the rest is neither.
                if (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A { ltr = true }
            } else if isRightToLeft(scalar) {
                rtl = true
            } else if v >= 0xC0, !ltr, scalar.properties.isAlphabetic {
                // Latin-1's symbols and spaces (£, the no-break space) are below U+00C0; letters from there on.
                ltr = true
            }
            if rtl && ltr { break }
        }
        return (rtl, ltr)
    }

    /// Whether `text`, put into text written in `direction`, needs isolating: it has a strong character of the
    /// other direction.
    @inlinable
    public static func needsIsolation(_ text: some StringProtocol, in direction: TextDirection) -> Bool {
        // In left-to-right text only a right-to-left character matters: no letter needs looking up. Every character
        // from U+0590 on starts with a byte from 0xD6 on in UTF-8; text without one (most names) is read no further.
        if direction == .ltr {
            return text.utf8.contains { $0 >= 0xD6 } && text.unicodeScalars.contains { $0.value >= 0x0590 && isRightToLeft($0) }
        }
        return strong(in: text).ltr
    }
}

#!/usr/bin/env python3
"""Writes Tests/DeliveryTests/Fixtures/babel-formats.json: Babel's formatting (CLDR through PyPI's babel) of a table
of locales x values, the reference the format filters are compared with (FormatFilterTests).

    python3 -m pip install babel==2.19.0 && python3 scripts/make-babel-formats.py
"""
import datetime, json, os, sys
import babel
from babel import numbers, dates, lists

LOCALES = ["en", "en-GB", "fr", "fr-CA", "de", "es", "pt-BR", "ru", "ar", "ar-EG", "he", "hi", "ja", "zh-Hans"]
NUMBERS = [0, 1, 1234.5, -1234567.891, 0.5]
PERCENTS = [0.256, 1]
MONEY = [[1234.5, "EUR"], [1234.5, "JPY"], [0.5, "USD"]]
# 2026-11-23 09:30 UTC, shown in Paris (10:30).
INSTANT = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.timezone.utc)
ZONE = "Europe/Paris"
DATE_STYLES = ["short", "medium", "long", "full"]
SKELETONS = ["yMMMd", "MMMMd", "yMMMM"]
DAYS = [3, -1, 14]
LIST = ["Ada", "Hana", "Layla"]


def babel_locale(tag):
    return babel.Locale.parse(tag.replace("-", "_"))


def main():
    from zoneinfo import ZoneInfo
    local = INSTANT.astimezone(ZoneInfo(ZONE))
    table = {"babel": babel.__version__, "zone": ZONE, "instant": INSTANT.isoformat().replace("+00:00", "Z"), "rows": []}
    for tag in LOCALES:
        loc = babel_locale(tag)
        def row(kind, arg, value):
            table["rows"].append({"locale": tag, "kind": kind, "input": arg, "babel": value})
        for n in NUMBERS:
            row("number", n, numbers.format_decimal(n, locale=loc, numbering_system="default"))
        for n in PERCENTS:
            row("percent", n, numbers.format_percent(n, locale=loc, numbering_system="default"))
        for amount, code in MONEY:
            row("currency", [amount, code], numbers.format_currency(amount, code, locale=loc, numbering_system="default"))
        for style in DATE_STYLES:
            row("date", style, dates.format_date(local.date(), format=style, locale=loc))
        for skeleton in SKELETONS:
            row("date", skeleton, dates.format_skeleton(skeleton, local, locale=loc))
        for days in DAYS:
            row("relative", days, dates.format_timedelta(datetime.timedelta(days=days), add_direction=True, format="long", locale=loc))
        row("list", "and", lists.format_list(LIST, style="standard", locale=loc))
        row("list", "or", lists.format_list(LIST, style="or", locale=loc))
    out = os.path.join(os.path.dirname(__file__), "..", "Tests", "DeliveryTests", "Fixtures", "babel-formats.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(table, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(table['rows'])} rows from babel {babel.__version__} written to {os.path.normpath(out)}")


if __name__ == "__main__":
    sys.exit(main())

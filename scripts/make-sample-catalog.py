#!/usr/bin/env python3
"""Writes templates/catalog.csv: the sample shop of Northwind (an analytics app with a store), a few hundred items.

Deterministic (seeded), so the file only changes when this script does. Run from the project root."""
import csv, random, datetime

random.seed(20261123)
rows = []
def add(id, title, category, price, stock, tags, complements=(), replenish="", created=None, url=None):
    pop = random.randint(20, 950)
    prev = max(0, pop + random.randint(-200, 120))
    created = created or (datetime.date(2026, 11, 20) - datetime.timedelta(days=random.randint(0, 700))).isoformat()
    rows.append([id, title, category, price, stock, pop, prev, created, replenish, "|".join(tags), "|".join(complements),
                 url or f"/{category}/{id}"])

topics = ["analytics", "retention", "activation", "revenue", "experiments", "sql", "forecasting", "churn", "pricing",
          "onboarding", "cohorts", "attribution", "dashboards", "segmentation", "nps"]
nice = {"sql": "SQL", "nps": "NPS"}
name = lambda t: nice.get(t, t.capitalize())
for t in topics:
    add(f"guide-{t}", f"The {name(t)} Handbook", "guides", 0, 999, ["ebook", t], [f"course-{t}", f"template-{t}"], url=f"/guides/{t}")
    add(f"course-{t}", f"{name(t)} in a Day", "courses", random.choice([29, 39, 49, 79]), random.randint(50, 400), ["course", t],
        [f"template-{t}", f"guide-{t}"])
    add(f"template-{t}", f"{name(t)} Report Template", "templates", random.choice([0, 0, 9, 19]), 999, ["template", t],
        [f"course-{t}"])
    add(f"webinar-{t}", f"Live: {name(t)} Office Hours", "webinars", 0, random.randint(0, 300), ["webinar", t], [f"guide-{t}"])
books = ["Lean Analytics", "Trustworthy Experiments", "The Metrics Compass", "Storytelling with Numbers", "Retention Loops",
         "Pricing Power", "The Cohort Book", "Designing Dashboards", "Growth Without Guesswork", "Data Teams at Work",
         "SQL for Product People", "The Forecasting Field Guide", "Survey Design Basics", "Customer Journeys", "Decisions by Data"]
for i, b in enumerate(books):
    t = topics[i % len(topics)]
    add(f"book-{i + 1:02d}", b, "books", random.choice([19, 24, 29, 34]), random.randint(0, 120), ["book", t], [f"course-{t}"])
for seats in [5, 10, 25, 50]:
    add(f"addon-seats-{seats}", f"{seats} extra seats", "add-ons", seats * 8, 999, ["billing", "seats"], ["addon-sso"])
add("addon-sso", "Single sign-on", "add-ons", 99, 999, ["billing", "security"], ["addon-audit-log"])
add("addon-audit-log", "Audit log", "add-ons", 49, 999, ["billing", "security"], ["addon-sso"])
add("addon-warehouse-sync", "Warehouse sync", "add-ons", 149, 999, ["billing", "data"], ["addon-sso"])
colors = ["Navy", "Sand", "Forest", "Charcoal", "Coral"]
for c in colors:
    add(f"hoodie-{c.lower()}", f"Data Hoodie, {c}", "merch", 59, random.randint(0, 80), ["merch", "apparel"], ["mug-northwind"])
    add(f"tee-{c.lower()}", f"Northwind Tee, {c}", "merch", 25, random.randint(0, 150), ["merch", "apparel"], [f"hoodie-{c.lower()}"])
    add(f"cap-{c.lower()}", f"Chart Cap, {c}", "merch", 22, random.randint(0, 60), ["merch", "apparel"], [f"tee-{c.lower()}"])
for m in ["northwind", "p-value", "median", "outlier", "dashboard", "cohort"]:
    add(f"mug-{m}", f"Mug: {m.replace('-', ' ').title()}", "merch", 14, random.randint(0, 200), ["merch", "kitchen"],
        ["coffee-house-250", "coffee-house-1kg"])
roasts = [("house", "House Blend"), ("ethiopia", "Ethiopia Yirgacheffe"), ("colombia", "Colombia Huila"),
          ("decaf", "Swiss Water Decaf"), ("espresso", "Query Espresso"), ("kenya", "Kenya Nyeri"), ("brazil", "Brazil Cerrado"),
          ("guatemala", "Guatemala Antigua")]
for key, title in roasts:
    add(f"coffee-{key}-250", f"{title} 250 g", "coffee", 12, random.randint(0, 300), ["coffee", "consumable"],
        [f"mug-northwind", "filters-100"], replenish=14)
    add(f"coffee-{key}-1kg", f"{title} 1 kg", "coffee", 38, random.randint(0, 120), ["coffee", "consumable"],
        ["grinder-burr", "filters-100"], replenish=45)
add("filters-100", "Paper filters, 100", "coffee", 6, 400, ["coffee", "consumable"], ["coffee-house-250"], replenish=50)
add("descaler", "Kettle descaler", "coffee", 9, 120, ["coffee", "consumable"], ["filters-100"], replenish=90)
add("grinder-burr", "Burr grinder", "coffee", 129, 25, ["coffee", "equipment"], ["coffee-house-1kg"])
add("kettle-gooseneck", "Gooseneck kettle", "coffee", 69, 40, ["coffee", "equipment"], ["descaler"])
add("dripper-ceramic", "Ceramic dripper", "coffee", 29, 60, ["coffee", "equipment"], ["filters-100"])
for kind, title, days in [("dot", "Dot grid notebook", 0), ("lined", "Lined notebook", 0), ("sketch", "Sketch pad", 0)]:
    for size in ["A5", "A4"]:
        add(f"notebook-{kind}-{size.lower()}", f"{title}, {size}", "office", 12 if size == "A5" else 16, random.randint(0, 200),
            ["office", "paper"], ["pen-fine-3", "markers-8"])
for n in [3, 10]:
    add(f"pen-fine-{n}", f"Fine liners, {n}", "office", 4 * n // 2 + 3, random.randint(10, 300), ["office", "consumable"],
        ["notebook-dot-a5"], replenish=60)
for n in [4, 8]:
    add(f"markers-{n}", f"Whiteboard markers, {n}", "office", 2 * n + 2, random.randint(10, 300), ["office", "consumable"],
        ["eraser-whiteboard"], replenish=40)
add("eraser-whiteboard", "Whiteboard eraser", "office", 7, 150, ["office"], ["markers-8"])
add("sticky-notes", "Sticky notes, 12 pads", "office", 11, 300, ["office", "consumable", "paper"], ["markers-4"], replenish=30)
for size in [32, 43, 55]:
    add(f"display-{size}", f"Dashboard display, {size} in", "hardware", {32: 349, 43: 499, 55: 749}[size], random.randint(0, 20),
        ["hardware", "dashboards"], ["wall-mount", "stick-player"])
add("wall-mount", "Wall mount", "hardware", 45, 60, ["hardware"], [f"display-43"])
add("stick-player", "Dashboard stick player", "hardware", 79, 50, ["hardware", "dashboards"], ["display-43"])
charts = ["histogram", "box-plot", "sankey", "funnel", "scatter", "heatmap", "sparkline", "waterfall", "treemap", "violin"]
for c in charts:
    add(f"poster-{c}", f"Poster: the {c.replace('-', ' ')}", "prints", 24, random.randint(0, 90), ["print", "decor"], [f"sticker-{c}"])
    add(f"sticker-{c}", f"Sticker: {c.replace('-', ' ')}", "prints", 3, random.randint(0, 900), ["print", "sticker"], [f"poster-{c}"])
# Fill to a few hundred with workshop seats across cities and months: real, dated, often sold out.
cities = ["Leith", "Berlin", "Lisbon", "Tokyo", "Dubai", "Toronto", "Nairobi", "Melbourne", "Seoul", "Warsaw", "Austin",
          "Bogota"]
months = ["2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06", "2027-07"]
for city in cities:
    for month in months:
        t = random.choice(topics)
        add(f"workshop-{city.lower()}-{month}", f"{name(t)} workshop, {city}, {month}", "workshops", random.choice([199, 249, 299]),
            random.choice([0, 4, 12, 20]), ["workshop", t, "new"] if month <= "2027-01" else ["workshop", t], [f"course-{t}"],
            created=f"{month}-01" if month <= "2026-11" else None)
ids = {r[0] for r in rows}
for r in rows:
    r[10] = "|".join(c for c in r[10].split("|") if c in ids and c != r[0])
with open("templates/catalog.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "title", "category", "price", "stock", "popularity", "popularity_previous", "created_at", "replenish_days",
                "tags", "complements", "url"])
    w.writerows(rows)
print(len(rows), "items")

#!/usr/bin/env python3
"""Stagecraft in a real browser: starts a server on 127.0.0.1 (keys on, a fresh SQLite file, the sample content),
seeds the sample profiles, and drives headless Chromium through the demo site and the preview studio.

    python3 Tests/Browser/run.py [--stagecraft .build/release/stagecraft] [--screenshots Tests/Browser/screenshots]

Needs Debian's chromium and chromium-driver. Screenshots of every step go to the screenshots folder (git ignores
it). Exits 1 when a test fails."""

import argparse
import datetime
import gzip
import hashlib
import hmac
import html
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webdriver import Browser, WebDriverError, free_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET = "sk_browser_test_secret"
PUBLISHABLE = "pk_demo"
# The sample profiles are written as of this moment; seeding moves their times to now.
SAMPLE_NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.timezone.utc)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")


def user_hash(user_id):
    return hmac.new(SECRET.encode(), user_id.encode(), hashlib.sha256).hexdigest()


class Server:
    def __init__(self, binary, workdir, log, allowed_origin):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, STAGECRAFT_SECRET_KEYS=SECRET, STAGECRAFT_PUBLISHABLE_KEYS=PUBLISHABLE,
                   STAGECRAFT_ALLOWED_ORIGINS=allowed_origin)
        self.process = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--templates", os.path.join(ROOT, "templates"),
             "--public", os.path.join(ROOT, "public"), "--database", os.path.join(workdir, "stagecraft.sqlite"),
             "--log-level", "warning"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                self.call("GET", "/readyz")
                break
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the server did not start; see its log")
                time.sleep(0.2)

    def call(self, method, path, body=None):
        request = urllib.request.Request(self.base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": "Bearer " + SECRET, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text and response.headers.get_content_type() == "application/json" else text

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def shifted(value, delta):
    """The sample's timestamps moved by `delta`, so that its 'now' is the real now."""
    if isinstance(value, str) and ISO.match(value):
        t = datetime.datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
        return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: shifted(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, delta) for v in value]
    return value


def seed(server):
    delta = datetime.datetime.now(datetime.timezone.utc) - SAMPLE_NOW
    folder = os.path.join(ROOT, "templates", "profiles")
    ids = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            sample = shifted(json.load(f), delta)
        user = sample["id"]
        ids[name[:-5]] = user
        server.call("PUT", "/v1/profiles/" + urllib.parse.quote(user, safe=""),
                    {"traits": sample.get("traits", {}), "time_zone": sample.get("time_zone"), "locale": sample.get("locale")})
        events = [dict(e, user_id=user) for e in sample.get("events", [])]
        if events:
            server.call("POST", "/v1/events", {"events": events})
    return ids


class Silent:
    """A server that accepts connections and never answers: a Stagecraft that hangs."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.held = []
        threading.Thread(target=self.hold, daemon=True).start()

    def hold(self):
        while True:
            try:
                self.held.append(self.socket.accept()[0])
            except OSError:
                return


class Shop:
    """Another site (another origin) that embeds the script from the Stagecraft server, as customers' sites do."""

    def __init__(self, port):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.stagecraft = None
        shop = self

        class Pages(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                user = q.get("user_id", [""])[0]
                identity = f'data-user-id="{html.escape(user)}" data-user-hash="{user_hash(user)}"' if user else ""
                # A site may point the script at another API host (a Stagecraft that is down, in the tests).
                for name in ("api", "timeout"):
                    if q.get(name):
                        identity += f' data-{name}="{html.escape(q[name][0])}"'
                # The page's language (<html lang>), "en" unless the test says; what the script asks is kept in
                # window.asked (the bodies and URLs of its calls).
                lang = html.escape(q.get("lang", ["en"])[0])
                page = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>
                    <link rel="stylesheet" href="{shop.stagecraft}/demo.css"></head><body>
                    <h1>Another site</h1>
                    <div data-stagecraft-placement="home-hero"><p>The shop's own welcome</p></div>
                    <script>document.addEventListener('stagecraft:ready', e => {{ window.decided = e.detail; }});
                    window.asked = []; const fetched = window.fetch;
                    window.fetch = (url, init) => {{ window.asked.push({{url: String(url), body: init && init.body}}); return fetched(url, init); }};</script>
                    <script src="{shop.stagecraft}/stagecraft.js" data-key="{PUBLISHABLE}" {identity}></script>
                    </body></html>""".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Pages)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Run:
    def __init__(self, browser, server, ids, shots, shop):
        self.b, self.server, self.ids, self.shots, self.shop = browser, server, ids, shots, shop
        self.count = 0

    def shot(self, name):
        self.count += 1
        path = os.path.join(self.shots, f"{self.count:02d}-{name}.png")
        self.b.screenshot(path)
        return path

    def demo(self, user=None, **query):
        q = dict(query)
        if user:
            q["user_id"] = user
            q["user_hash"] = user_hash(user)
        self.b.open(self.server.base + "/demo.html" + ("?" + urllib.parse.urlencode(q) if q else ""))

    def slot(self, placement):
        return self.b.js("""const s = document.querySelector('[data-stagecraft-placement="' + arguments[0] + '"]');
            return {state: s.dataset.stagecraftState || null, campaign: s.dataset.stagecraftCampaign || null,
                    text: s.textContent.replace(/\\s+/g, ' ').trim(), html: s.innerHTML};""", placement)

    def settled(self, *placements):
        cond = " && ".join(f"""(s => s && !['loading', undefined].includes(s.dataset.stagecraftState))(
            document.querySelector('[data-stagecraft-placement="{p}"]'))""" for p in placements)
        self.b.wait(cond, "the slots " + ", ".join(placements) + " to settle")
        return {p: self.slot(p) for p in placements}

    def dismiss_hero(self):
        """Closes the hero block and waits for the script to report the dismissal recorded. The impression is reported
        on its own schedule (once half the block has been on screen), so it may come before or after the click: this
        waits for the dismissal's own report, not for whichever comes first."""
        self.b.js("window.interactions = []; document.addEventListener('stagecraft:interaction', e => interactions.push(e.detail))")
        self.b.click('[data-stagecraft-placement="home-hero"] .sc-close')
        seen = self.b.wait("window.interactions.find(i => i.kind === 'dismiss')", "the dismissal to be reported")
        assert seen["kind"] == "dismiss" and seen["ok"], seen

    def logged(self, kind):
        """The demo bar's recent interactions (the last three, newest first), once one is about `kind`."""
        return self.b.wait(f"(t => t.includes({json.dumps(kind)}) && t)(document.getElementById('demo-log').textContent)",
                           f"the {kind} to be reported")

    def no_alert(self):
        text = self.b.alert_text()
        assert text is None, f"a script ran on the page: alert({text!r})"


# MARK: Tests


def test_embed_script_size(run):
    """The embed script is under 10 KB gzipped."""
    with open(os.path.join(ROOT, "public", "stagecraft.js"), "rb") as f:
        raw = f.read()
    size = len(gzip.compress(raw, 9))
    print(f"      stagecraft.js: {len(raw)} bytes, {size} gzipped")
    assert size < 10 * 1024, f"stagecraft.js is {size} bytes gzipped; the limit is 10240"


def test_demo_fills_slots(run):
    """Layla (loyalty): the hero, the toolbar tooltip next to its target and the NPS survey, from one decide call."""
    b = run.b
    b.js("performance.clearResourceTimings && performance.clearResourceTimings()")
    run.demo(run.ids["layla"])
    slots = run.settled("home-hero", "reports-toolbar", "feedback")
    run.shot("demo-layla-slots")
    for name, s in slots.items():
        assert s["state"] == "shown", f"{name} is {s['state']}, not shown: {s}"
    assert slots["feedback"]["campaign"] == "nps-quarterly", slots["feedback"]
    assert "Welcome to Northwind" not in slots["home-hero"]["text"], "the hero kept its fallback content"
    decides = b.js("return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/v1/decide')).length")
    assert decides == 1, f"{decides} decide calls for one page"
    tip = b.js("""const t = document.querySelector('.sc-float[data-stagecraft-campaign]');
        if (!t) return null;
        const a = document.querySelector('#export-button').getBoundingClientRect(), r = t.getBoundingClientRect();
        return {campaign: t.dataset.stagecraftCampaign, position: t.dataset.position, gap: r.top - a.bottom,
                overlapX: Math.min(a.right, r.right) - Math.max(a.left, r.left), text: t.textContent};""")
    assert tip and tip["campaign"] == "tip-schedule-exports", f"tooltip: {tip}"
    assert tip["position"] == "bottom" and 0 <= tip["gap"] <= 20 and tip["overlapX"] > 0, f"the tooltip is not under #export-button: {tip}"
    # Content loaded above the anchor moves it with no scroll or resize event: the tooltip follows, and follows it
    # back when that content goes.
    gap = """(() => { const a = document.querySelector('#export-button').getBoundingClientRect();
        return document.querySelector('.sc-float[data-stagecraft-campaign]').getBoundingClientRect().top - a.bottom; })()"""
    b.js("const d = document.createElement('div'); d.id = 'late-banner'; d.style.height = '120px'; document.body.prepend(d)")
    moved = b.wait(f"(g => g >= 0 && g <= 20 && {{gap: g}})({gap})", "the tooltip to follow its anchor down")
    b.js("document.getElementById('late-banner').remove()")
    back = b.wait(f"(g => g >= 0 && g <= 20 && {{gap: g}})({gap})", "the tooltip to follow its anchor back")
    assert abs(moved["gap"] - tip["gap"]) <= 1 and abs(back["gap"] - tip["gap"]) <= 1, (tip, moved, back)
    run.logged("impression")
    run.no_alert()


def test_survey_answer(run):
    """Layla answers the NPS question: the answer is recorded, thanks are shown, and the survey does not come back.
    Answers on the page the previous test left (the survey's cap is one showing a quarter)."""
    b = run.b
    if not b.js("return location.search.includes(arguments[0]) && document.querySelector('[data-stagecraft-campaign=\"nps-quarterly\"]')",
                urllib.parse.quote(run.ids["layla"])):
        run.demo(run.ids["layla"])
    assert run.settled("feedback")["feedback"]["campaign"] == "nps-quarterly"
    b.click('[data-stagecraft-placement="feedback"] button[value="9"]')
    b.wait("document.querySelector('[data-stagecraft-placement=\"feedback\"] .sc-thanks')", "the thanks")
    log = run.logged("answer")
    assert "answer nps-quarterly (recorded)" in log, log
    run.shot("demo-survey-answered")
    run.demo(run.ids["layla"])
    after = run.settled("feedback")["feedback"]
    assert after["state"] != "shown", f"the answered survey came back: {after}"
    # Deciding again (a single-page app's navigation) replaces the blocks instead of stacking them, and a slot
    # with nothing to show any more gets its own content back.
    b.js_async("Stagecraft.refresh().then(() => Stagecraft.refresh()).then(arguments[0])")
    counts = b.js("""return {tips: document.querySelectorAll('.sc-float').length,
        closes: document.querySelectorAll('[data-stagecraft-placement="home-hero"] .sc-close').length,
        state: document.querySelector('[data-stagecraft-placement="home-hero"]').dataset.stagecraftState,
        feedback: document.querySelector('[data-stagecraft-placement="feedback"]').textContent.trim()}""")
    assert counts == {"tips": 1, "closes": 1, "state": "shown", "feedback": "Questions? Write to help@northwind.example."}, \
        f"after two refreshes: {counts}"


def test_tour_runs_to_end(run):
    """Amara (admin, activation): the onboarding tour, by keyboard, skipping the step whose target is gone."""
    b = run.b
    run.demo(run.ids["amara"])
    b.wait("document.querySelector('.sc-tour')", "the tour's first step")
    b.js("""window.tourEvents = []; document.addEventListener('stagecraft:tour', e => tourEvents.push(e.detail));
            document.getElementById('privacy-settings').remove();""")
    current = """(() => { const s = document.querySelector('.sc-tour'); const t = document.querySelector('.sc-tour-target');
        return s && t ? {step: s.dataset.stagecraftStep, target: '#' + t.id, focus: document.activeElement.textContent,
                          dialog: s.getAttribute('role'), text: s.textContent} : null; })()"""
    visited = []
    first = b.wait(current, "a tour step")
    assert first["dialog"] == "dialog" and first["focus"] == "Next", f"the step is not a focused dialog: {first}"
    visited.append(first["target"])
    run.shot("tour-step-1")
    # Forward with Enter on the focused Next, back with the left arrow, forward again with the right arrow.
    b.keys("Enter")
    step = b.wait(current + " && " + current + ".target !== '#new-project' && " + current, "step 2")
    visited.append(step["target"])
    b.keys("ArrowLeft")
    back = b.wait(f"(s => s && s.target === '#new-project' && s)({current})", "back to step 1")
    assert back["target"] == "#new-project"
    b.keys("ArrowRight")
    b.wait(f"(s => s && s.target === '#connect-source' && s)({current})", "step 2 again")
    for _ in range(6):
        before = b.js("return " + current)
        if before["focus"] == "Done":
            run.shot("tour-last-step")
            b.keys("Enter")
            break
        b.keys("ArrowRight")
        step = b.wait(f"(s => s && s.target !== {json.dumps(before['target'])} && s)({current})", "the next step")
        visited.append(step["target"])
        run.shot("tour-step-" + step["step"])
    ended = b.wait("tourEvents.find(e => e.state === 'done')", "the tour to end")
    assert ended["recorded"], f"the tour's end was not recorded: {ended}"
    expected = ["#new-project", "#connect-source", "#billing-link", "#invite-teammates"]
    assert visited == expected, f"visited {visited}, expected {expected} (privacy settings removed, member step not for admins)"
    assert not b.js("return document.querySelector('.sc-tour, .sc-tour-target')"), "the tour left something behind"
    # Finished tours do not start again.
    run.demo(run.ids["amara"])
    run.settled("home-hero")
    again = b.js_async("Stagecraft.tour('onboarding-tour').then(arguments[0])")
    assert again is False, "the finished tour started again"


def test_dismissal_sticks(run):
    """Amara dismisses her hero banner: the dismissal is recorded and the banner does not come back."""
    b = run.b
    run.demo(run.ids["amara"])
    hero = run.settled("home-hero")["home-hero"]
    assert hero["state"] == "shown", hero
    dismissed = hero["campaign"]
    run.shot("dismiss-before")
    b.click('[data-stagecraft-placement="home-hero"] .sc-close')
    log = run.logged("dismiss")
    assert f"dismiss {dismissed} (recorded)" in log, log
    assert "Welcome to Northwind" in run.slot("home-hero")["text"], "the slot did not go back to its own content"
    run.demo(run.ids["amara"])
    after = run.settled("home-hero")["home-hero"]
    run.shot("dismiss-after-reload")
    assert after["campaign"] != dismissed, f"{dismissed} came back after being dismissed"


def test_xss_profile_on_demo(run):
    """Mallory, whose every field is a script: the page shows the text and runs nothing."""
    b = run.b
    run.demo(run.ids["mallory"])
    hero = run.settled("home-hero")["home-hero"]
    run.shot("demo-mallory")
    run.no_alert()
    assert hero["state"] == "shown", hero
    assert "<img src=x onerror=alert(1)>" in hero["text"], f"the name is not shown as text: {hero['text']!r}"
    bad = b.js("""return [...document.querySelectorAll('[data-stagecraft-placement] *, .sc-float *')]
        .filter(e => e.tagName === 'SCRIPT' || e.tagName === 'IMG' || [...e.attributes].some(a => a.name.startsWith('on'))
                     || /^\\s*javascript:/i.test(e.getAttribute('href') || '')).map(e => e.outerHTML)""")
    assert not bad, f"markup from the profile reached the page: {bad}"


def test_server_down_keeps_fallback(run):
    """Stagecraft down (nothing listening) or hanging (never answers): a site's slots keep their own content."""
    b = run.b
    closed = free_port()
    b.open(run.shop.base + "/?" + urllib.parse.urlencode({"user_id": run.ids["layla"], "api": f"http://127.0.0.1:{closed}"}))
    slots = run.settled("home-hero")
    assert slots["home-hero"]["state"] == "fallback" and "The shop's own welcome" in slots["home-hero"]["text"], slots
    silent = Silent()
    started = time.time()
    b.open(run.shop.base + "/?" + urllib.parse.urlencode({"user_id": run.ids["layla"], "api": f"http://127.0.0.1:{silent.port}",
                                                          "timeout": "800"}))
    slots = run.settled("home-hero")
    waited = time.time() - started
    run.shot("site-server-hanging")
    assert slots["home-hero"]["state"] == "fallback" and "The shop's own welcome" in slots["home-hero"]["text"], slots
    assert waited < 5, f"the page waited {waited:.1f} s for a hanging server"
    assert b.js("return document.querySelector('h1').offsetWidth > 0"), "the page broke"
    run.no_alert()


def test_demo_takes_no_other_api_host(run):
    """demo.html?api= naming another host is ignored (the script would put that host's markup into the page): the
    slots are filled by this server, and the demo bar says what it ignored."""
    b = run.b
    run.demo(run.ids["layla"], api=run.shop.base)
    slots = run.settled("home-hero")
    assert slots["home-hero"]["state"] == "shown", slots
    assert b.js("return window.stagecraftSettings.api") is None
    notice = b.wait("(n => !n.hidden && n.textContent)(document.getElementById('demo-notice'))", "the notice")
    assert run.shop.base in notice and "ignored" in notice, notice
    # This server's own address is taken.
    run.demo(run.ids["layla"], api=run.server.base + "/")
    assert run.settled("home-hero")["home-hero"]["state"] == "shown"
    assert b.js("return window.stagecraftSettings.api") == run.server.base
    run.no_alert()


def studio(run, fragment):
    """Opens the studio at `fragment`, giving the key if it asks, and waits for a render."""
    b = run.b
    b.open("about:blank")
    b.open(run.server.base + "/#" + fragment + "&at=2026-11-23T10:00")
    asked = b.wait("document.body.dataset.rendered || (document.getElementById('key-dialog').open && 'key')", "a render or the key dialog")
    if asked == "key":
        b.type("#key-input", SECRET)
        b.click("#key-form button[type=submit]")
    b.wait("Number(document.body.dataset.rendered) >= 1 && !document.getElementById('status').textContent.startsWith('Rendering')",
           "the studio's first render", 15)


def iframe_text(run, selector):
    """The text and risky elements of a sandboxed preview frame, read from inside it."""
    b = run.b
    b.frame(selector)
    try:
        return b.js("""return {text: document.body.textContent.replace(/\\s+/g, ' ').trim(),
            risky: [...document.querySelectorAll('script, img[onerror], [onclick], [onmouseover]')].map(e => e.outerHTML)}""")
    finally:
        b.frame(None)


def test_studio_renders_and_shows_planted_error(run):
    """The studio asks for the key once, renders Amara's setup banner at both widths, and points at a planted error."""
    b = run.b
    b.open(run.server.base + "/healthz")
    b.js("sessionStorage.clear()")
    b.open(run.server.base + "/")
    b.wait("document.getElementById('key-dialog').open", "the studio to ask for the key")
    run.shot("studio-key")
    b.type("#key-input", SECRET)
    b.click("#key-form button[type=submit]")
    b.wait("document.body.dataset.rendered", "a first render")
    studio(run, "template=banners/setup&profile=amara")
    frames = b.js("return [...document.querySelectorAll('#output iframe')].map(f => ({sandbox: f.getAttribute('sandbox'), width: f.width}))")
    assert [f["width"] for f in frames] == ["1024", "375"], f"not desktop and phone: {frames}"
    assert all(f["sandbox"] == "" for f in frames), f"a preview frame is not fully sandboxed: {frames}"
    inside = iframe_text(run, "#output .device iframe")
    assert "Amara, you are 1 of 3 steps" in inside["text"], inside
    assert b.js("return sessionStorage.getItem('stagecraft.studio.key')") == SECRET
    assert b.js("return localStorage.length") == 0, "the key must not outlive the session"
    run.shot("studio-amara-setup")

    # Plant a stray endif at line 14 of the template, as if typed in the editor.
    b.js("""const area = document.getElementById('source'); const lines = area.value.split('\\n');
            lines.splice(13, 0, '  <p>{% endif %}</p>'); area.value = lines.join('\\n');
            area.dispatchEvent(new Event('input', {bubbles: true}));""")
    b.wait("document.querySelector('#diagnostics .error button[data-line]')", "the planted error to be listed")
    listed = b.js("""const d = document.querySelector('#diagnostics .error button'); return {line: d.dataset.line, file: d.dataset.file, text: d.textContent}""")
    assert listed["line"] == "14" and listed["file"] == "banners/setup.liquid", f"the error is not at line 14: {listed}"
    assert b.js("return document.querySelector('#output .empty') !== null"), "a template with a syntax error still showed output"
    b.click("#diagnostics .error button")
    peek = b.wait("(p => !p.hidden && p.dataset.line === '14' && p.textContent)(document.getElementById('peek'))", "line 14 to be shown")
    assert "{% endif %}" in peek, peek
    selected = b.js("""const a = document.getElementById('source'); return {line: a.value.slice(0, a.selectionStart).split('\\n').length,
                       text: a.value.slice(a.selectionStart, a.selectionEnd), focused: document.activeElement === a}""")
    assert selected["line"] == 14 and "{% endif %}" in selected["text"] and selected["focused"], selected
    run.shot("studio-planted-error")
    # The studio remembers the key for the tab: a reload renders without asking.
    b.js("location.reload()")
    b.wait("document.body.dataset.rendered", "a render after reload without the key dialog")
    assert not b.js("return document.getElementById('key-dialog').open")


def test_studio_xss_profile(run):
    """Mallory's payloads render as text in the preview, in a banner and in an email, and nothing runs."""
    b = run.b
    studio(run, "template=banners/setup&profile=mallory")
    inside = iframe_text(run, "#output .device iframe")
    run.shot("studio-mallory-banner")
    run.no_alert()
    assert "<img src=x onerror=alert(1)>" in inside["text"], inside
    assert not inside["risky"], inside
    studio(run, "template=emails/cart-abandoned&profile=mallory")
    run.shot("studio-mallory-email")
    run.no_alert()
    text = b.js("return document.querySelector('.plain').textContent")
    inside = iframe_text(run, "#output .device iframe")
    assert "<script>alert(5)</script>" in inside["text"] and "<script>alert(5)</script>" in text, inside
    assert not inside["risky"], inside


def test_studio_email_matrix_and_decision(run):
    """An email shows subject, preheader, HTML at two widths and text; the stage matrix renders every stage; the
    decision trace lists the candidates."""
    b = run.b
    studio(run, "template=emails/welcome&profile=hana")
    email = b.js("""return {subject: document.querySelector('.subject').textContent, preheader: document.querySelector('.preheader').textContent,
                    frames: document.querySelectorAll('#output iframe').length, text: document.querySelector('.plain').textContent}""")
    assert email["subject"] and email["preheader"] and email["frames"] == 2 and "花子" in email["text"], email
    run.shot("studio-email")
    studio(run, "template=banners/whats-new&profile=lukas")
    b.click("#tab-matrix")
    stages = b.js("return [...document.querySelectorAll('#stage option')].slice(1).map(o => o.value)")
    b.wait("[...document.querySelectorAll('#matrix-grid .cell')].every(c => !c.textContent.includes('Rendering'))", "every stage to render", 15)
    cells = b.js("return [...document.querySelectorAll('#matrix-grid .cell')].map(c => ({stage: c.dataset.stage, text: c.textContent, frame: !!c.querySelector('iframe')}))")
    assert [c["stage"] for c in cells] == stages and len(stages) == 5, cells
    assert all(c["frame"] or "not eligible" in c["text"] or "nothing" in c["text"] for c in cells), cells
    b.click("#matrix-winner")
    b.wait("[...document.querySelectorAll('#matrix-grid .cell')].every(c => !c.textContent.includes('Rendering'))", "the placement's winners", 15)
    run.shot("studio-matrix")
    b.click("#tab-decision")
    rows = b.js("return [...document.querySelectorAll('.trace tbody tr')].map(r => r.textContent)")
    assert len(rows) >= 5 and any("shown" in r for r in rows), rows
    run.shot("studio-decision")


def test_studio_results(run):
    """The studio's Results view of the A/B email shows what the API answers: users exposed per arm, each goal's
    rates, uplifts, intervals, chances to win and p-values, and the sample ratio warning when the split is broken
    (here two sends of the story variant in three are lost, as a broken pipeline would lose them); the charts are SVG the
    page draws itself."""
    b, s = run.b, run.server
    story = 0
    events = []
    for i in range(240):
        user = f"exp-{i}"
        s.call("PUT", "/v1/profiles/" + user, {"traits": {"first_name": f"E{i}", "plan": "trial", "activated": True,
                                                         "trial_days_left": 4}})
        probe = s.call("POST", "/v1/messages/emails/upgrade-story/render", {"user_id": user})
        arm = "holdout" if (probe.get("rejection") or {}).get("reason") == "holdout" else probe["variant"]
        if arm == "story":
            story += 1
            if story % 3 != 1:
                continue  # lost before it was sent: never exposed
        sent = s.call("POST", "/v1/messages/emails/upgrade-story/render", {"user_id": user, "send": True})
        assert sent["sent"] == (arm != "holdout") and (arm == "holdout" or sent["variant"] == arm), sent
        if i % 4 == 0 or (arm == "story" and i % 4 == 1):
            events.append({"user_id": user, "name": "plan_upgraded"})
            events.append({"user_id": user, "name": "order_completed", "properties": {"total": 20 + i % 7}})
    s.call("POST", "/v1/events", {"events": events})
    api = s.call("GET", "/v1/campaigns/upgrade-story/results")
    assert api["srm"]["mismatch"], api["srm"]

    studio(run, "template=emails/upgrade-story&profile=ada&tab=results")
    b.wait("document.querySelector('#results-body .results-summary')", "the results to be shown")
    shown = b.js("""const rows = (sel) => [...document.querySelectorAll(sel)].map(r => Object.fromEntries(
                        [...r.querySelectorAll('td[class]')].map(td => [td.className.split(' ')[0], td.textContent]).concat([['arm', r.dataset.arm]])));
                    return {exposed: document.querySelector('.results-summary .exposed').textContent,
                            srm: (document.querySelector('.srm-warning') || {}).textContent || null,
                            arms: rows('table.arms tbody tr'),
                            goals: Object.fromEntries([...document.querySelectorAll('table.goal')].map(t => [t.dataset.goal, rows('#results-body table.goal[data-goal="' + t.dataset.goal + '"] tbody tr')])),
                            charts: [...document.querySelectorAll('#results-body svg.chart')].map(c => ({kind: c.classList[1], arms: c.querySelectorAll('[data-arm]').length}))}""")
    run.shot("studio-results")
    assert shown["exposed"] == str(api["exposed"]), shown
    assert shown["srm"] == api["srm"]["message"], shown["srm"]
    assert [(a["arm"], a["exposed"]) for a in shown["arms"]] == [(a["arm"], str(a["exposed"])) for a in api["arms"]], shown["arms"]

    def close(text, value, decimals=1, percent=True):
        """Whether `text` shows `value` (as a percentage when `percent`) to its `decimals`."""
        number = float(text.strip("%[], ").replace("+", ""))
        return abs(number - (value * 100 if percent else value)) <= 0.51 * 10 ** -decimals

    for goal in api["goals"]:
        rows = {r["arm"]: r for r in shown["goals"][goal["name"]]}
        conversion = goal["measure"] == "conversion"
        for arm in goal["arms"]:
            row = rows[arm["arm"]]
            assert row["users"] == str(arm["users"]), (goal["name"], row, arm)
            value = arm["rate"] if conversion else arm["mean"]
            assert close(row["value"], value, decimals=1 if conversion else 2, percent=conversion), (goal["name"], row, arm)
            c = arm["vs_control"]
            if c and not c["problem"]:
                lo, hi = row["interval"].split(",")
                assert close(row["uplift"], c["uplift"]) and close(lo, c["interval"][0]) and close(hi, c["interval"][1]), (row, c)
                assert close(row["chance"], c["chance_to_win"]) and close(row["p"], c["p_value"], decimals=4, percent=False), (row, c)
    charts = shown["charts"]
    assert [c["kind"] for c in charts] == ["interval-chart", "interval-chart", "cumulative-chart", "flow-chart"], charts
    assert charts[0]["arms"] == 2 and charts[2]["arms"] == 3, charts
    b.js("document.querySelector('#results-body .interval-chart').scrollIntoView()")
    run.shot("studio-results-charts")

    # The stage flow below: the moves the API counts, each shown with its users.
    flow = s.call("GET", "/v1/stages/flow")
    moves = b.js("""return [...document.querySelectorAll('#results-body table.moves tbody tr')].map(r =>
                        [r.dataset.from || null, r.dataset.to, Number(r.querySelector('.users').textContent)])""")
    assert moves == [[t["from"], t["to"], t["users"]] for t in flow["transitions"]], (moves, flow["transitions"])
    assert any(t["from"] is None and t["to"] == "revenue" and t["users"] >= 240 for t in flow["transitions"]), flow["transitions"]
    b.js("document.querySelector('#results-body .flow-chart').scrollIntoView()")
    run.shot("studio-stage-flow")


def test_other_origin(run):
    """A customer's site on another origin embeds the script: CORS lets the allowed origin decide with the
    publishable key and a user's HMAC; a wrong HMAC is refused and the site keeps its own content."""
    b = run.b
    user = run.ids["lukas"]
    b.open(run.shop.base + "/?user_id=" + urllib.parse.quote(user))
    hero = run.settled("home-hero")["home-hero"]
    run.shot("other-origin")
    assert hero["state"] == "shown", hero
    stage = b.wait("window.decided && window.decided.stage", "the decision")
    assert stage == "retention", f"decided for stage {stage}: the user's identity was not used"
    b.wait("document.querySelectorAll('[data-stagecraft-placement] .sc-close').length", "the close button")
    run.dismiss_hero()
    # A forged identity: Ada's id with Layla's hash.
    forged = run.shop.base + "/?user_id=" + urllib.parse.quote(run.ids["layla"])
    b.open(forged)
    b.wait("document.querySelector('[data-stagecraft-placement]').dataset.stagecraftState === 'shown'", "Layla's own block")
    b.js("""const s = document.createElement('div'); s.dataset.stagecraftPlacement = 'home-hero'; s.id = 'forged';
            s.textContent = 'fallback'; document.body.append(s);
            Stagecraft.identify(arguments[0], arguments[1]);
            window.errors = []; document.addEventListener('stagecraft:error', e => errors.push(e.detail.error));
            Stagecraft.fill();""", run.ids["ada"], user_hash(run.ids["layla"]))
    error = b.wait("window.errors[0]", "the forged identity to be refused")
    assert "user_hash" in error, error
    assert b.js("return document.getElementById('forged').textContent") == "fallback"


def test_page_language_tags(run):
    """A visitor's page language goes to the server as a tag it takes: a well-formed one as it is (several extensions
    and private use included), a malformed one as its longest well-formed prefix (so `en-GB-oed` still asks for
    British English and the page gets its blocks), none when nothing of it is a tag."""
    b = run.b
    for lang, sent, served in [("fr-FR-u-nu-latn-x-shop", "fr-FR-u-nu-latn-x-shop", "fr"), ("en-GB-oed", "en-GB", "en"),
                               ("fr-CA-x", "fr-CA", "fr"), ("zh_Hans_CN", "zh-Hans-CN", "zh-Hans"), ("@@", None, "en")]:
        b.open(run.shop.base + "/?" + urllib.parse.urlencode({"lang": lang}))
        hero = run.settled("home-hero")["home-hero"]
        assert hero["state"] == "shown", (lang, hero)
        asked = b.wait("window.decided && window.asked", "the decision")
        bodies = [json.loads(a["body"]) for a in asked if a["body"] and "/v1/decide" in a["url"]]
        assert bodies, (lang, asked)
        assert bodies[0].get("locale") == sent, (lang, bodies[0])
        served_in = b.js("return document.querySelector('[data-stagecraft-placement=\"home-hero\"]').lang")
        assert served_in == served, (lang, served_in)


def test_sign_in_keeps_dismissal(run):
    """A visitor dismisses a banner on a customer's site, then signs in: the script merges the visitor into the user
    (POST /v1/identify) before asking for blocks, and the banner stays dismissed."""
    b = run.b
    user = "browser-sign-in"
    run.server.call("PUT", "/v1/profiles/" + user, {"traits": {}})
    # Someone like them who never visited: what the signed-in user would see without the merge.
    run.server.call("PUT", "/v1/profiles/browser-control", {"traits": {}})
    control = run.server.call("GET", "/v1/placements/home-hero?user_id=browser-control")
    b.open(run.shop.base + "/")
    b.js("localStorage.clear()")
    b.open(run.shop.base + "/")
    hero = run.settled("home-hero")["home-hero"]
    assert hero["state"] == "shown", hero
    assert hero["campaign"] == control["campaign"], (hero, control)
    b.wait("document.querySelectorAll('[data-stagecraft-placement] .sc-close').length", "the close button")
    run.dismiss_hero()
    b.open(run.shop.base + "/?user_id=" + user)
    after = run.settled("home-hero")["home-hero"]
    run.shot("signed-in-after-dismissal")
    assert after["campaign"] != hero["campaign"], f"{hero['campaign']} came back after signing in"
    # Once per user and browser: the next page does not merge again.
    assert b.js("return localStorage.getItem('stagecraft.identified')") == user
    # The anonymous id merged is the user's now: the browser no longer keeps it for whoever comes next.
    assert b.js("return localStorage.getItem('stagecraft.anonymous_id')") is None


def test_languages(run):
    """Layla reads Arabic: her hero comes right to left, with lang and dir and its close button on the left; Wei
    reads Chinese (the screenshots show both in Debian's Noto fonts). The studio shows an Arabic email right to
    left and renders a banner across the content's locales."""
    b = run.b
    def language(placement):
        return b.js("""const s = document.querySelector('[data-stagecraft-placement="' + arguments[0] + '"]');
            const c = s.querySelector('.sc-close'), r = s.getBoundingClientRect(), x = c && c.getBoundingClientRect();
            return {lang: s.lang, dir: s.dir, direction: getComputedStyle(s).direction,
                    closeLeft: x ? x.left - r.left : null, closeRight: x ? r.right - x.right : null};""", placement)
    run.demo(run.ids["layla"])
    hero = run.settled("home-hero")["home-hero"]
    info = language("home-hero")
    assert info["lang"] == "ar" and info["dir"] == "rtl" and info["direction"] == "rtl", info
    assert any("\u0600" <= ch <= "\u06ff" for ch in hero["text"]), f"no Arabic in Layla's hero: {hero['text']!r}"
    if info["closeLeft"] is not None:
        assert info["closeLeft"] < info["closeRight"], f"the close button is not mirrored to the left: {info}"
    run.shot("demo-layla-arabic")
    run.demo(run.ids["wei"])
    hero = run.settled("home-hero")["home-hero"]
    info = language("home-hero")
    assert info["lang"] == "zh-Hans" and info["dir"] == "ltr", info
    assert any("\u4e00" <= ch <= "\u9fff" for ch in hero["text"]), f"no Chinese in Wei's hero: {hero['text']!r}"
    run.shot("demo-wei-chinese")
    studio(run, "template=emails/welcome&profile=layla")
    html = b.js("return document.querySelector('#output iframe').srcdoc")
    assert '<html lang="ar" dir="rtl">' in html, html[:300]
    run.shot("studio-email-arabic")
    studio(run, "template=banners/whats-new&profile=lukas")
    b.click("#tab-matrix")
    b.js("const s = document.getElementById('matrix-by'); s.value = 'locale'; s.dispatchEvent(new Event('change'))")
    b.wait("document.querySelectorAll('#matrix-grid .cell').length === 4 && [...document.querySelectorAll('#matrix-grid .cell')].every(c => !c.textContent.includes('Rendering'))",
           "every locale to render", 15)
    cells = b.js("return [...document.querySelectorAll('#matrix-grid .cell')].map(c => ({locale: c.dataset.stage, frame: c.querySelector('iframe') && c.querySelector('iframe').srcdoc}))")
    assert [c["locale"] for c in cells] == ["ar", "en", "fr", "zh-Hans"], cells
    arabic = next(c for c in cells if c["locale"] == "ar")
    assert arabic["frame"] and 'dir="rtl"' in arabic["frame"], arabic
    run.shot("studio-locales-matrix")
    # Chinese email: the whole document in Chinese, left to right, in Debian's Noto CJK.
    studio(run, "template=emails/welcome&profile=wei")
    html = b.js("return document.querySelector('#output iframe').srcdoc")
    assert '<html lang="zh-Hans" dir="ltr">' in html, html[:300]
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in html) > 20, "the welcome email is not in Chinese"
    run.shot("studio-email-chinese")


def test_rtl_tour_mirrors_sides(run):
    """Hana's onboarding tour (a member in activation) read in English and in Arabic: its second step points right
    of its target in English and left of it in Arabic, the dialog right to left, its buttons in Arabic. (The target is moved to the middle
    of the page first, so that both sides have room: the script takes the other side when one has none.)"""
    b = run.b
    def second_step(lang):
        run.demo(run.ids["hana"], lang=lang)
        b.wait("document.querySelector('.sc-tour')", "the tour's first step")
        b.js("const t = document.getElementById('connect-source'); t.style.position = 'relative'; t.style.left = '480px';")
        b.keys("Enter")
        return b.wait("""(() => { const s = document.querySelector('.sc-tour'), t = document.querySelector('.sc-tour-target');
            if (!s || !t || t.id !== 'connect-source') return null;
            const a = t.getBoundingClientRect(), r = s.getBoundingClientRect();
            const word = (c) => (e => e && (e.textContent || e.getAttribute('aria-label')))(s.querySelector(c));
            return {side: s.dataset.position, dir: s.dir, lang: s.lang, leftOf: r.right <= a.left, rightOf: r.left >= a.right,
                    next: word('.sc-next'), back: word('.sc-back'), close: s.querySelector('.sc-close').getAttribute('aria-label')}; })()""",
            "the step on #connect-source")
    english = second_step("en")
    assert english["side"] == "right" and english["rightOf"] and english["dir"] == "ltr", english
    arabic = second_step("ar")
    run.shot("tour-step-arabic-mirrored")
    assert arabic["side"] == "left" and arabic["leftOf"] and arabic["dir"] == "rtl" and arabic["lang"] == "ar", arabic
    # The script's own words (buttons, labels) are the reader's too, from the content's stagecraft.ui keys.
    assert (english["next"], english["back"], english["close"]) == ("Next", "Back", "Close the tour"), english
    assert (arabic["next"], arabic["back"], arabic["close"]) == ("التالي", "السابق", "إغلاق الجولة"), arabic


TESTS = [
    test_embed_script_size,
    test_demo_fills_slots,
    test_survey_answer,
    test_tour_runs_to_end,
    test_dismissal_sticks,
    test_sign_in_keeps_dismissal,
    test_xss_profile_on_demo,
    test_server_down_keeps_fallback,
    test_demo_takes_no_other_api_host,
    test_other_origin,
    test_page_language_tags,
    test_studio_renders_and_shows_planted_error,
    test_studio_xss_profile,
    test_studio_email_matrix_and_decision,
    test_languages,
    test_rtl_tour_mirrors_sides,
    test_studio_results,
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stagecraft", default=os.path.join(ROOT, ".build", "release", "stagecraft"))
    parser.add_argument("--screenshots", default=os.path.join(ROOT, "Tests", "Browser", "screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    parser.add_argument("-k", dest="only", help="run only tests whose name contains this")
    options = parser.parse_args()

    shutil.rmtree(options.screenshots, ignore_errors=True)
    os.makedirs(options.screenshots)
    work = tempfile.mkdtemp(prefix="stagecraft-browser-")
    server_log = open(os.path.join(options.screenshots, "server.log"), "w")
    shop = Shop(free_port())
    server = Server(options.stagecraft, work, server_log, allowed_origin=shop.base)
    shop.stagecraft = server.base
    browser = None
    failures = []
    try:
        ids = seed(server)
        browser = Browser(options.chromium, options.chromedriver, log=open(os.path.join(options.screenshots, "chromedriver.log"), "w"))
        run = Run(browser, server, ids, options.screenshots, shop)
        chosen = [t for t in TESTS if not options.only or options.only in t.__name__]
        for test in chosen:
            started = time.time()
            try:
                browser.console()
                test(run)
                # Whatever the test checked, the page may not have thrown or been refused by its own policy.
                broken = [e["message"] for e in browser.console()
                          if "Uncaught" in e.get("message", "") or "Content Security Policy" in e.get("message", "")]
                assert not broken, f"the browser's console: {broken}"
                print(f"  ok    {test.__name__} ({time.time() - started:.1f} s)")
            except Exception as e:  # a broken test is a failure, and the others still run
                failures.append(test.__name__)
                print(f"  FAIL  {test.__name__}: {e}")
                traceback.print_exc(limit=3, file=sys.stdout)
                try:
                    run.b.frame(None)
                    run.shot("FAILED-" + test.__name__)
                except Exception:
                    pass
        print(f"{len(chosen) - len(failures)} of {len(chosen)} browser tests passed; screenshots in {options.screenshots}")
    finally:
        if browser:
            browser.quit()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

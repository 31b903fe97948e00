"""A small W3C WebDriver client over the standard library, for headless Chromium driven by chromedriver."""

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
KEYS = {"Enter": "\ue007", "Escape": "\ue00c", "Tab": "\ue004", "ArrowLeft": "\ue012", "ArrowRight": "\ue014", "Space": "\ue00d"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriverError(Exception):
    def __init__(self, error, message):
        super().__init__(f"{error}: {message}")
        self.error = error


def http(method, url, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        answer = json.loads(e.read() or b"{}").get("value", {})
        raise WebDriverError(answer.get("error", str(e.code)), answer.get("message", "").split("\n")[0]) from None


class Browser:
    """One chromedriver process and one headless Chromium session."""

    def __init__(self, chromium="/usr/bin/chromium", driver="/usr/bin/chromedriver", width=1280, height=900, log=None):
        self.port = free_port()
        self.driver = subprocess.Popen([driver, f"--port={self.port}"], stdout=log or subprocess.DEVNULL,
                                       stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while True:
            try:
                if http("GET", self.base + "/status", timeout=2)["value"]["ready"]:
                    break
            except (OSError, WebDriverError, KeyError):
                pass
            if time.time() > deadline:
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.2)
        args = ["--headless=new", f"--window-size={width},{height}", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--lang=en-US"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}}
        self.session = http("POST", self.base + "/session", caps)["value"]["sessionId"]

    def command(self, method, path, body=None):
        return http(method, f"{self.base}/session/{self.session}{path}", body)["value"]

    def quit(self):
        try:
            self.command("DELETE", "")
        except Exception:
            pass
        self.driver.terminate()
        self.driver.wait(10)

    # Pages and scripts
    def open(self, url):
        self.command("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.command("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        return self.command("POST", "/execute/async", {"script": script, "args": list(args)})

    def wait(self, expression, what, timeout=10, *args):
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.js("return (" + expression + ");", *args)
            except WebDriverError as e:
                last = str(e)
                if e.error == "unexpected alert open":
                    raise
            if last:
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")

    # Elements
    def find(self, selector):
        found = self.command("POST", "/element", {"using": "css selector", "value": selector})
        if not isinstance(found, dict) or ELEMENT not in found:
            raise WebDriverError("no such element", f"{selector}: {found}")
        return found[ELEMENT]

    def click(self, selector):
        self.command("POST", f"/element/{self.find(selector)}/click", {})

    def type(self, selector, text):
        self.command("POST", f"/element/{self.find(selector)}/value", {"text": text})

    def keys(self, *names):
        """Presses keys on whatever has the focus, as a user would."""
        actions = []
        for name in names:
            key = KEYS.get(name, name)
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self.command("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})
        self.command("DELETE", "/actions")

    def frame(self, selector=None):
        """Switches into the iframe `selector`, or back to the page with None."""
        if selector is None:
            self.command("POST", "/frame", {"id": None})
        else:
            self.command("POST", "/frame", {"id": {ELEMENT: self.find(selector)}})

    def alert_text(self):
        """The text of an open alert, or None."""
        try:
            return self.command("GET", "/alert/text")
        except WebDriverError as e:
            if e.error == "no such alert":
                return None
            raise

    def resize(self, width, height):
        self.command("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.command("GET", "/screenshot")))
        return path

    def console(self):
        """Browser console lines since the last call (Chromium's log)."""
        try:
            return http("POST", f"{self.base}/session/{self.session}/se/log", {"type": "browser"})["value"]
        except WebDriverError:
            return []

"""Headless Chromium driven over the DevTools protocol on a pipe (no extra package, no network port).

``open_page`` loads one file at a given width and returns what a reader's browser saw: every
URL it requested, its console and log errors, the page's widths, and a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]

# Widest right edge of any element, and the page's scroll width, against the viewport.
OVERFLOW_SCRIPT = """(() => {
  let widest = 0, culprit = '';
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > widest) { widest = r.right; culprit = el.tagName + '.' + el.className; }
  }
  return {viewport: window.innerWidth, scroll: document.documentElement.scrollWidth, widest, culprit};
})()"""


@dataclass
class PageVisit:
    """What loading a page did."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes = b""
    probe: Any = None  # what open_page's probe expression returned


class Pipe:
    """The DevTools protocol over Chromium's --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    def __init__(self, user_data: str) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child_fds() -> None:
            read, write = os.dup(to_chrome_r), os.dup(from_chrome_w)  # above 4, so dup2 below never targets itself
            os.dup2(read, 3)  # dup2 leaves the copies inheritable
            os.dup2(write, 4)

        self.process = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={user_data}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=child_fds, close_fds=False,  # fds 3 and 4, made by dup2 in the child, stay open
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and wait for its answer (events meanwhile are kept in self.events)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self) -> dict[str, Any]:
        """The next message from Chromium."""
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        """Ask Chromium to quit, and wait for it."""
        try:
            self.send("Browser.close")
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def open_page(path: Path, width: int, height: int = 900, probe: str | None = None) -> PageVisit:
    """Load a file in a fresh headless Chromium at the given viewport width and report what happened
    (``probe``: a JavaScript expression evaluated after the load, its value in ``visit.probe``)."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as user_data:
        pipe = Pipe(user_data)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}, session)
            pipe.events.clear()
            pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session)
            while not any(e.get("method") == "Page.loadEventFired" for e in pipe.events):
                pipe.events.append(pipe._read())
            visit = PageVisit()
            layout = pipe.send("Runtime.evaluate", {"expression": OVERFLOW_SCRIPT, "returnByValue": True}, session)
            visit.layout = layout["result"]["value"]
            if probe is not None:
                visit.probe = pipe.send("Runtime.evaluate", {"expression": probe, "returnByValue": True},
                                        session)["result"].get("value")
            shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
            visit.screenshot = base64.b64decode(shot["data"])
            for event in pipe.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Network.requestWillBeSent":
                    visit.requests.append(params["request"]["url"])
                elif method == "Runtime.exceptionThrown":
                    visit.errors.append(str(params["exceptionDetails"].get("text")))
                elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
                    visit.errors.append(json.dumps(params.get("args")))
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    visit.errors.append(params["entry"].get("text", ""))
                elif method == "Network.loadingFailed":
                    visit.errors.append(f"failed to load: {params.get('errorText')}")
            return visit
        finally:
            pipe.close()

#!/usr/bin/env python3
"""Drive headless Chromium over the DevTools protocol for the published site's tests.

Standard library only: Chromium is started with --remote-debugging-pipe (commands on fd 3,
replies on fd 4, each a JSON text ended by a NUL byte), so neither ChromeDriver nor a
WebSocket client is needed. The site folder is served on a loopback port (geolocation needs
a secure context, which http://127.0.0.1 is).

    cdp.py SITE STEPS.json

STEPS is a JSON list; each step is one of
    {"viewport": [w, h]}                     phone-sized window (mobile emulation)
    {"geo": [lat, lng]}                      grant geolocation and place the phone there
    {"deny_geo": true}                       the user refuses geolocation
    {"open": "index.html?q=x"}               load a page of the site and wait for it
    {"wait": "js expression"}                wait (up to 15 s) until it is true
    {"eval": "js expression"}                its value goes to the output
    {"run": "js expression"}                 run it, its value not kept
    {"click": "css selector"}                click the element's centre
    {"tap_at": [lat, lng]}                   click the township map where that point is
    {"screenshot": "file.png"}               save what the window shows
    {"errors": true}                         the scripts' uncaught errors so far, to the output
The output (stdout) is a JSON list of the values of the "eval" steps, in order.
"""

import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


class Browser:
    def __init__(self, exe):
        self.profile = tempfile.mkdtemp(prefix="gridmap-cdp-")
        r1, w1 = os.pipe()  # we write, Chromium reads (its fd 3)
        r2, w2 = os.pipe()  # Chromium writes (its fd 4), we read
        # Out of the way of 3 and 4 before they are placed there in the child.
        r1h, w2h = os.dup(r1), os.dup(w2)
        while r1h < 10 or w2h < 10:
            r1h, w2h = os.dup(r1h), os.dup(w2h)

        def place():
            os.dup2(r1h, 3)
            os.dup2(w2h, 4)

        self.proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile,
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=place,
            pass_fds=(3, 4),
        )
        for fd in (r1, w2, r1h, w2h):
            os.close(fd)
        self.out = os.fdopen(w1, "wb", buffering=0)
        self.inp = os.fdopen(r2, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.errors = []

    def send(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        self.out.write(json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            reply = self.read()
            if reply.get("method") == "Runtime.exceptionThrown":
                d = reply["params"]["exceptionDetails"]
                self.errors.append(
                    "%s (%s:%s:%s)"
                    % (
                        d.get("exception", {}).get("description", d.get("text")),
                        d.get("url", ""),
                        d.get("lineNumber"),
                        d.get("columnNumber"),
                    )
                )
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
        raise RuntimeError("%s: no reply" % method)

    def read(self):
        while b"\0" not in self.buf:
            chunk = self.inp.read(65536)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def open_tab(self):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self.session = attached["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def eval(self, expr, keep=True):
        r = self.send(
            "Runtime.evaluate",
            {"expression": expr, "returnByValue": keep, "awaitPromise": True},
        )
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, expr, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.eval("!!(" + expr + ")"):
                return
            time.sleep(0.05)
        raise RuntimeError("waited in vain for: " + expr)

    def click_at(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    site, steps = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
    handler = functools.partial(Quiet, directory=site)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = "http://127.0.0.1:%d" % server.server_address[1]
    exe = os.environ.get("CHROMIUM", "chromium")
    b = Browser(exe)
    values = []
    try:
        b.open_tab()
        for step in steps:
            if "viewport" in step:
                w, h = step["viewport"]
                b.send(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": w, "height": h, "deviceScaleFactor": 2, "mobile": True},
                )
            elif "geo" in step:
                lat, lng = step["geo"]
                b.send(
                    "Browser.grantPermissions",
                    {"origin": origin, "permissions": ["geolocation"]},
                    session=False,
                )
                b.send(
                    "Emulation.setGeolocationOverride",
                    {"latitude": lat, "longitude": lng, "accuracy": 10},
                )
            elif "deny_geo" in step:
                b.send(
                    "Browser.setPermission",
                    {
                        "origin": origin,
                        "permission": {"name": "geolocation"},
                        "setting": "denied",
                    },
                    session=False,
                )
            elif "open" in step:
                b.send("Page.navigate", {"url": origin + "/" + step["open"]})
                b.wait("document.readyState === 'complete'")
            elif "wait" in step:
                b.wait(step["wait"])
            elif "eval" in step:
                values.append(b.eval(step["eval"]))
            elif "run" in step:
                b.eval(step["run"], keep=False)
            elif "click" in step:
                rect = b.eval(
                    "(function(){var r=document.querySelector(%s).getBoundingClientRect();"
                    "return [r.left+r.width/2, r.top+r.height/2];})()"
                    % json.dumps(step["click"])
                )
                b.click_at(rect[0], rect[1])
            elif "tap_at" in step:
                lat, lng = step["tap_at"]
                xy = b.eval(
                    "(function(){var m=window.GRIDMAP_MAP;m.setView([%r,%r],m.getZoom(),"
                    "{animate:false});var p=m.latLngToContainerPoint([%r,%r]);"
                    "var r=m.getContainer().getBoundingClientRect();"
                    "return [r.left+p.x, r.top+p.y];})()" % (lat, lng, lat, lng)
                )
                b.click_at(xy[0], xy[1])
            elif "errors" in step:
                values.append(list(b.errors))
            elif "screenshot" in step:
                shot = b.send("Page.captureScreenshot", {"format": "png"})
                with open(step["screenshot"], "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            else:
                raise RuntimeError("unknown step %r" % step)
    finally:
        b.close()
        server.shutdown()
    json.dump(values, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Drives the workshop page in headless Chromium over the DevTools protocol, like a participant:
waits for the first answer, drags the judges' reversal-cost slider with the mouse, clicks Run,
and checks that the numbers, the variant's series and the first chart's pixels changed, and
that the page requested nothing but its own server. Saves a screenshot.

Only the Python standard library: a minimal WebSocket client (RFC 6455, client side) is below.

    workshop_cdp.py DEVTOOLS_HTTP PAGE_URL SCREENSHOT_PNG
"""

import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time
import urllib.parse
import urllib.request


def fail(message):
    print("workshop check FAILED: " + message, file=sys.stderr)
    sys.exit(1)


class WebSocket:
    def __init__(self, url, timeout=60):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                fail("the DevTools socket closed during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            fail("DevTools refused the WebSocket: " + head.decode(errors="replace"))

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                fail("the DevTools socket closed")
            out += chunk
        return out

    def send(self, text):
        payload = text.encode()
        header = bytearray([0x81])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", n)
        mask = os.urandom(4)
        header += mask
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + masked)

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            if b1 & 0x80:
                mask = self._read(4)
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(n)))
            else:
                data = self._read(n)
            if opcode == 0x8:
                fail("DevTools closed the connection")
            if opcode in (0x1, 0x0):
                message += data
                if b0 & 0x80:
                    return message.decode()


class Page:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.requests = []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("method") == "Network.requestWillBeSent":
                self.requests.append(m["params"]["request"]["url"])
            if m.get("id") == my:
                if "error" in m:
                    fail(f"{method}: {m['error']}")
                return m.get("result", {})

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            fail(f"script error in {expression!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, expression, what, limit=90):
        deadline = time.time() + limit
        while time.time() < deadline:
            if self.js(expression):
                return
            time.sleep(0.25)
        fail(f"timed out after {limit} s waiting for {what}; page state: "
             + str(self.js("document.body.getAttribute('data-state') + ' / ' + document.getElementById('message').textContent")))

    def mouse(self, kind, x, y, buttons=1):
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", buttons=buttons, clickCount=1)


def state(page):
    return page.js("""(function () {
      var c = document.querySelector('#charts canvas');
      return {
        runs: document.body.getAttribute('data-runs'),
        drawn: document.body.getAttribute('data-charts-drawn'),
        sum: document.body.getAttribute('data-variant-sum'),
        numbers: document.querySelector('#numbers tbody').innerText,
        canvas: c ? c.toDataURL() : '',
        errors: document.querySelectorAll('[data-chart-error]').length,
        stories: document.getElementById('stories').textContent.length
      };
    })()""")


def main():
    devtools, url, shot = sys.argv[1], sys.argv[2], sys.argv[3]
    targets = json.load(urllib.request.urlopen(devtools + "/json/list", timeout=10))
    pages = [t for t in targets if t.get("type") == "page"]
    if not pages:
        fail("Chromium has no page open")
    page = Page(pages[0]["webSocketDebuggerUrl"])
    page.call("Network.enable")
    page.call("Page.enable")
    page.call("Emulation.setDeviceMetricsOverride", width=1280, height=1500, deviceScaleFactor=1, mobile=False)
    started = time.time()
    page.call("Page.navigate", url=url)
    page.wait("document.body && document.body.getAttribute('data-runs') === '1'", "the first answer (the baseline)")
    print(f"ok: the page loaded and drew its first answer in {time.time() - started:.1f} s")
    before = state(page)
    if before["drawn"] != "10" or before["errors"]:
        fail(f"first answer: {before['drawn']} charts drawn, {before['errors']} chart errors")
    print(f"ok: {before['drawn']} charts drawn by uPlot, numbers table and {before['stories']} characters of case stories shown")

    # Drag the judges' reversal-cost slider (the stability-of-sentences indicator) to near 0.
    slider = "document.getElementById('c-incentives-trial_judge-reversals')"
    page.js(slider + ".scrollIntoView({block: 'center'})")
    r = page.js("(function (s) { var r = s.getBoundingClientRect(); return [r.left, r.top, r.width, r.height,"
                " Number(s.value), Number(s.min), Number(s.max)]; })(" + slider + ")")
    left, top, width, height, value, lo, hi = r
    y = top + height / 2
    x_from = left + 8 + (width - 16) * (value - lo) / (hi - lo)
    x_to = left + 8 + (width - 16) * 0.05
    page.mouse("mousePressed", x_from, y)
    for i in range(1, 11):
        page.mouse("mouseMoved", x_from + (x_to - x_from) * i / 10, y)
    page.mouse("mouseReleased", x_to, y, buttons=0)
    moved = page.js(slider + ".value")
    if abs(float(moved) - value) < 1e-9:
        fail(f"the slider did not move (still {value})")
    print(f"ok: dragged the judges' reversal-cost slider from {value} to {moved}")

    # Click Run.
    page.js("document.getElementById('run').scrollIntoView({block: 'center'})")
    b = page.js("(function () { var r = document.getElementById('run').getBoundingClientRect();"
                " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    clicked = time.time()
    page.mouse("mousePressed", b[0], b[1])
    page.mouse("mouseReleased", b[0], b[1], buttons=0)
    page.wait("document.body.getAttribute('data-runs') === '2' && document.body.getAttribute('data-state') === 'done'",
              "the answer to the change")
    print(f"ok: Run answered in {time.time() - clicked:.1f} s")
    after = state(page)
    if after["drawn"] != "10" or after["errors"]:
        fail(f"after the change: {after['drawn']} charts drawn, {after['errors']} chart errors")
    if after["sum"] == before["sum"]:
        fail("the variant's series did not change")
    if after["numbers"] == before["numbers"]:
        fail("the numbers did not change")
    if hashlib.sha256(after["canvas"].encode()).digest() == hashlib.sha256(before["canvas"].encode()).digest():
        fail("the first chart's pixels did not change")
    print("ok: the variant's series, the numbers table and the first chart's pixels changed")
    question = page.js("document.getElementById('question').textContent")
    if "reversals = " not in question:
        fail("the question scenario shown does not name the changed weight: " + question)

    origin = "{0.scheme}://{0.netloc}/".format(urllib.parse.urlparse(url))
    foreign = [u for u in page.requests if not (u.startswith(origin) or u.startswith("data:"))]
    if foreign:
        fail("the page requested other sites: " + ", ".join(foreign))
    print(f"ok: the page made {len(page.requests)} requests, all to its own server")

    page.js("window.scrollTo(0, 0)")
    time.sleep(0.3)
    png = page.call("Page.captureScreenshot", format="png")["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    print(f"ok: screenshot saved as {shot}")


if __name__ == "__main__":
    main()

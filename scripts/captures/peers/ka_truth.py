#!/usr/bin/env python3
"""Merge the peers' JSON-lines logs into tests/captures/ka_<name>.truth.json.

  ka_truth.py OUT.json SETTINGS_JSON LOG...

SETTINGS_JSON is an object (scenario, programs, kernel/socket settings and
what is expected); the merged, time-ordered peer events go under "events".
The timestamps are wall-clock seconds (same clock as the capture's).
"""
import json
import sys


def main():
    out, settings = sys.argv[1], json.loads(sys.argv[2])
    events = []
    for path in sys.argv[3:]:
        with open(path, encoding="utf-8") as f:
            events += [json.loads(line) for line in f if line.strip()]
    events.sort(key=lambda e: e["t"])
    settings["events"] = events
    for e in events:
        if e.get("event") == "connected":
            settings.setdefault("client", e.get("local"))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(settings, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

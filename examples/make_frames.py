#!/usr/bin/env python3
"""Writes frames.csv: dashcam-style example records for the cairn demo.

Deterministic: every field comes from a hash of the row number, so rerunning the script
yields the same bytes. Usage: python3 examples/make_frames.py > examples/frames.csv
"""
import hashlib
import sys
from datetime import datetime, timedelta, timezone


def pick(row, salt, n):
    digest = hashlib.sha256(f"{salt}:{row}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


WEATHER = ["sunny", "sunny", "sunny", "cloudy", "rain", "fog", "snow"]
CAMERAS = ["front", "front", "rear", "left", "right"]
ROWS = 2000
FRAMES_PER_DRIVE = 200

out = sys.stdout
out.write("key,frame,annotation,captured_at,labeled_at,group,"
          "tags.weather,tags.camera,tags.night,tags.speed_kmh,tags.pedestrians\n")
start = datetime(2021, 6, 1, 6, 0, 0, tzinfo=timezone.utc)
for row in range(ROWS):
    drive = row // FRAMES_PER_DRIVE
    frame = row % FRAMES_PER_DRIVE
    camera = CAMERAS[pick(drive, "camera", len(CAMERAS))]
    key = f"drive{drive:03d}/{camera}/{frame:06d}"
    captured = start + timedelta(hours=13 * drive, milliseconds=250 * frame)
    labeled = pick(row, "labeled", 10) < 7  # about 70% labelled
    annotation = f"s3://labels/{key}.json" if labeled else ""
    labeled_at = ""
    if labeled:
        labeled_at = (captured + timedelta(days=3 + pick(row, "delay", 20))).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    hour = captured.hour
    night = "true" if hour >= 21 or hour < 6 else "false"
    weather = WEATHER[pick(drive * 10 + frame // 50, "weather", len(WEATHER))]
    speed = "" if pick(row, "gps", 50) == 0 else f"{pick(row, 'speed', 1300) / 10:.1f}"
    pedestrians = pick(row, "ped", 6) if pick(row, "city", 3) == 0 else 0
    out.write(",".join([
        key,
        f"s3://raw/{key}.jpg",
        annotation,
        captured.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        labeled_at,
        f"drive{drive:03d}",
        weather,
        camera,
        night,
        speed,
        str(pedestrians),
    ]) + "\n")

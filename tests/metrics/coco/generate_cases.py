#!/usr/bin/env python3
"""Writes the generated COCO evaluation cases next to this file (fixed seeds, pure Python).

  /usr/bin/python3 tests/metrics/coco/generate_cases.py

Cases (each a directory with gt.json and dt.json):
  many_dets      more than 100 detections per image and category, with a score tie across
                 the 100th place, so maxDets=100 cuts inside a tie
  hundred        100 ground truths of one category, so recalls k/100 meet every recall
                 threshold
  random_medium  a random case: 150 images, 6 categories, crowd regions, mask areas smaller
                 than the boxes, scores rounded to two decimals (many ties), images without
                 ground truth or without detections
The expected numbers come from pycocotools (make_golden.py), not from this script.
"""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def write_case(name, description, images, categories, annotations, detections):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    gt = {"info": {"description": description}, "images": [{"id": i} for i in images],
          "categories": [{"id": c, "name": n} for c, n in categories],
          "annotations": annotations}
    with open(os.path.join(d, "gt.json"), "w") as f:
        json.dump(gt, f, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(d, "dt.json"), "w") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(x, separators=(",", ":")) for x in detections))
        f.write("\n]\n")


def ann(ann_id, image, cat, box, area=None, crowd=0):
    return {"id": ann_id, "image_id": image, "category_id": cat, "bbox": box,
            "area": box[2] * box[3] if area is None else area, "iscrowd": crowd}


def det(image, cat, box, score):
    return {"image_id": image, "category_id": cat, "bbox": box, "score": score}


def many_dets():
    rng = random.Random(7)
    anns, dets = [], []
    next_id = 1
    for image in (1, 2, 3):
        for k in range(6):
            box = [k * 110.0, 10.0 + image, 80.0, 60.0]
            anns.append(ann(next_id, image, 1, box))
            next_id += 1
        anns.append(ann(next_id, image, 2, [5.0, 300.0, 400.0, 150.0]))
        next_id += 1
    # image 1: 130 detections of category 1 with distinct scores; true positives spread so
    # some fall beyond the 100th place.
    for j in range(130):
        k = j % 13
        if k < 6:
            box = [k * 110.0 + rng.randint(0, 12), 11.0 + rng.randint(0, 10), 80.0, 60.0]
        else:
            box = [rng.randint(0, 600) * 1.0, 200.0 + rng.randint(0, 200), 40.0, 40.0]
        dets.append(det(1, 1, box, round(0.999 - j * 0.007, 3)))
    # image 2: 110 detections whose scores tie in blocks of ten, a tie straddling place 100.
    for j in range(110):
        k = j % 11
        if k < 6:
            box = [k * 110.0 + rng.randint(0, 15), 12.0 + rng.randint(0, 15), 80.0, 60.0]
        else:
            box = [rng.randint(0, 600) * 1.0, 250.0, 30.0, 30.0]
        dets.append(det(2, 1, box, round(0.95 - (j // 10) * 0.05, 2)))
    # image 3: 101 detections, all with the same score.
    for j in range(101):
        k = j % 17
        box = ([k * 110.0 + 1, 14.0, 80.0, 60.0] if k < 6
               else [rng.randint(0, 600) * 1.0, 260.0, 20.0, 20.0])
        dets.append(det(3, 1, box, 0.5))
    for image in (1, 2, 3):
        for j in range(12):
            dets.append(det(image, 2, [5.0 + j * 3, 300.0 + j, 400.0 - j * 9, 150.0], 0.3 + j / 50))
    write_case("many_dets", "more than 100 detections per image and category; ties across place 100",
               [1, 2, 3], [(1, "box"), (2, "pallet")], anns, dets)


def hundred():
    anns, dets = [], []
    for j in range(100):
        image = 1 + j // 25
        box = [(j % 25) * 40.0, 0.0, 30.0, 30.0]
        anns.append(ann(j + 1, image, 1, box))
        # 83 of them found, interleaved with 17 false positives.
        if j % 6 != 5:
            dets.append(det(image, 1, [box[0] + 1, 1.0, 30.0, 30.0], round(1 - j / 200, 4)))
        else:
            dets.append(det(image, 1, [box[0], 500.0, 30.0, 30.0], round(1 - j / 200 - 0.0025, 4)))
    write_case("hundred", "100 ground truths: recalls k/100 meet every recall threshold",
               [1, 2, 3, 4], [(1, "tile")], anns, dets)


def random_medium():
    rng = random.Random(20240501)
    images = list(range(1, 151))
    cats = [(1, "person"), (2, "bicycle"), (3, "car"), (5, "bus"), (8, "truck"), (11, "hydrant")]
    anns, dets = [], []
    next_id = 1
    for image in images:
        if image % 15 == 0:
            n_gt = 0  # an image without ground truth
        else:
            n_gt = rng.randint(1, 14)
        objects = []
        for _ in range(n_gt):
            cat = rng.choice(cats)[0]
            # sizes from a few pixels to most of the image, many around the area boundaries
            side = rng.choice([rng.uniform(2, 40), rng.uniform(20, 110), rng.uniform(80, 400)])
            w = round(side * rng.uniform(0.5, 2.0), 2)
            h = round(side * rng.uniform(0.5, 2.0), 2)
            x = round(rng.uniform(0, 640 - min(w, 600)), 2)
            y = round(rng.uniform(0, 480 - min(h, 460)), 2)
            crowd = 1 if rng.random() < 0.04 else 0
            area = round(w * h * rng.uniform(0.55, 1.0), 2)
            anns.append(ann(next_id, image, cat, [x, y, w, h], area, crowd))
            objects.append((cat, x, y, w, h))
            next_id += 1
        if image % 20 == 7:
            continue  # an image without detections
        for cat, x, y, w, h in objects:
            for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
                dx, dy = rng.gauss(0, w * 0.08), rng.gauss(0, h * 0.08)
                box = [round(x + dx, 2), round(y + dy, 2), round(max(0.0, w * rng.uniform(0.8, 1.2)), 2),
                       round(max(0.0, h * rng.uniform(0.8, 1.2)), 2)]
                dets.append(det(image, cat if rng.random() > 0.05 else rng.choice(cats)[0], box,
                                round(rng.uniform(0.2, 1.0), 2)))
        for _ in range(rng.randint(0, 25)):
            side = rng.uniform(3, 200)
            box = [round(rng.uniform(0, 600), 2), round(rng.uniform(0, 440), 2),
                   round(side * rng.uniform(0.5, 2), 2), round(side * rng.uniform(0.5, 2), 2)]
            dets.append(det(image, rng.choice(cats)[0], box, round(rng.uniform(0.0, 0.7), 2)))
    rng.shuffle(dets)
    write_case("random_medium", "random: 150 images, 6 categories, crowds, mask areas, tied scores",
               images, cats, anns, dets)


if __name__ == "__main__":
    many_dets()
    hundred()
    random_medium()

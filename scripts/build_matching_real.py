"""Build the two evaluation files of the real-text matching set from its source file.

Source: ``tests/data/matching_real/set.json`` (every scenario and company with its source
addresses, the graded judgments, and the recorded split). Output, in the shape
``marketplace eval-matching`` reads (the import format plus ``judgments``):

- ``tests/data/matching_real/tuning.json``: the tuning half's scenarios and judgments;
- ``tests/data/matching_real/test.json``: the test half's (read only to report).

Both carry every department and company, and the demo taxonomy copied from
``marketplace/demo/demo_data.json``, so each imports on its own into an empty database.

The split is fixed by a rule, not by hand: scenarios are paired in the source file's order
(1st with 2nd, 3rd with 4th, ...); within a pair, the scenario whose
``sha256(SALT + key)`` is smaller goes to the tuning half, the other to the test half. Adding
scenarios at the end in pairs never moves an existing one.

    python scripts/build_matching_real.py          # write tuning.json and test.json
    python scripts/build_matching_real.py --check  # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "tests" / "data" / "matching_real"
SOURCE = FOLDER / "set.json"
DEMO = ROOT / "marketplace" / "demo" / "demo_data.json"
HALVES = ("tuning", "test")
SALT = "matching-real-v1:"
SOURCE_ONLY_FIELDS = ("sources",)


def load_source(path: Path = SOURCE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def split_keys(scenario_keys: list[str]) -> dict[str, list[str]]:
    """The fixed split: pairs in file order, the smaller salted hash of each pair to tuning."""
    if len(scenario_keys) % 2:
        raise ValueError("the set needs an even number of scenarios (they are split in pairs)")
    halves: dict[str, list[str]] = {"tuning": [], "test": []}
    for i in range(0, len(scenario_keys), 2):
        a, b = sorted(scenario_keys[i : i + 2], key=_digest)
        halves["tuning"].append(a)
        halves["test"].append(b)
    return halves


def _digest(key: str) -> str:
    return hashlib.sha256((SALT + key).encode("utf-8")).hexdigest()


def _strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in SOURCE_ONLY_FIELDS}


def eval_file(source: dict, half: str, taxonomy: list[dict]) -> dict:
    """One half in the evaluation format: import sections plus graded judgments (1 and 2)."""
    keys = split_keys([s["key"] for s in source["scenarios"]])[half]
    wanted = set(keys)
    return {
        "departments": source["departments"],
        "capabilities": taxonomy,
        "companies": [_strip(c) for c in source["companies"]],
        "scenarios": [_strip(s) for s in source["scenarios"] if s["key"] in wanted],
        "judgments": {
            key: {c: g for c, g in source["judgments"].get(key, {}).items() if g >= 1} for key in keys
        },
    }


def demo_taxonomy(path: Path = DEMO) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["capabilities"]


def render(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def build() -> dict[Path, str]:
    source = load_source()
    taxonomy = demo_taxonomy()
    return {FOLDER / f"{half}.json": render(eval_file(source, half, taxonomy)) for half in HALVES}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the files are current")
    args = parser.parse_args(argv)
    stale = []
    for path, text in build().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

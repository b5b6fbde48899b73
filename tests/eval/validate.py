#!/usr/bin/env python3
"""Validate tests/eval/items.jsonl and print the data-set statistics quoted in README.md.

Usage: python3 tests/eval/validate.py [path/to/items.jsonl]
Exits non-zero if any check fails.
"""
import json, sys, unicodedata, itertools, datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

PATH = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("items.jsonl")
ALLOWED = ["current-events", "politics", "business", "heritage", "travel", "local",
           "sports", "technology", "health", "environment"]
REQUIRED = ["id", "source", "lang", "declared_lang", "title", "summary", "link", "published",
            "source_categories", "categories", "story", "hard_negative_group"]
LANGS = ["vi", "en", "id"]
errors = []
def err(msg): errors.append(msg)

items = []
for n, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
    try:
        items.append(json.loads(line))
    except json.JSONDecodeError as e:
        err(f"line {n}: invalid JSON: {e}")

ids = Counter(it.get("id") for it in items)
for k, c in ids.items():
    if c > 1: err(f"duplicate id {k}")

def canon(url):
    u = urlsplit(url)
    host = u.netloc.lower()
    host = host[4:] if host.startswith("www.") else host
    return host + u.path

for it in items:
    i = it.get("id")
    for f in REQUIRED:
        if f not in it: err(f"{i}: missing field {f}")
    if it.get("lang") not in LANGS: err(f"{i}: bad lang {it.get('lang')}")
    if not isinstance(it.get("title"), str) or not it["title"].strip(): err(f"{i}: empty title")
    if not isinstance(it.get("summary"), str): err(f"{i}: summary must be a string")
    cats = it.get("categories") or []
    if not 1 <= len(cats) <= 2: err(f"{i}: need 1-2 categories")
    if len(set(cats)) != len(cats): err(f"{i}: repeated category")
    for c in cats:
        if c not in ALLOWED: err(f"{i}: category {c!r} not allowed")
    if not isinstance(it.get("source_categories"), list): err(f"{i}: source_categories must be a list")
    if not (it.get("declared_lang") is None or isinstance(it.get("declared_lang"), str)):
        err(f"{i}: declared_lang must be string or null")
    try:
        t = dt.datetime.fromisoformat(it["published"])
        if t.utcoffset() != dt.timedelta(hours=7): err(f"{i}: offset is not +07:00")
        if not (dt.datetime(2026, 11, 1, tzinfo=t.tzinfo) <= t < dt.datetime(2026, 11, 26, tzinfo=t.tzinfo)):
            err(f"{i}: published outside 2026-11-01..2026-11-25")
    except Exception as e:
        err(f"{i}: bad published: {e}")
    u = urlsplit(it.get("link", ""))
    if u.scheme not in ("http", "https") or not u.netloc: err(f"{i}: link not absolute")
    if it.get("lang") == "vi":
        for f in ("title", "summary", "source", "story"):
            if not unicodedata.is_normalized("NFC", it.get(f, "")): err(f"{i}: {f} not NFC")
        for s in it.get("source_categories", []):
            if not unicodedata.is_normalized("NFC", s): err(f"{i}: source_categories not NFC")

stories = defaultdict(list)
for it in items: stories[it["story"]].append(it)
for label, its in stories.items():
    langs = {x["lang"] for x in its}
    if len(langs) != 1: err(f"story {label} mixes languages {langs}")
    if len({tuple(x["categories"]) for x in its}) != 1: err(f"story {label}: items disagree on categories")
    if len({x["hard_negative_group"] for x in its}) != 1: err(f"story {label}: items disagree on hard_negative_group")
    ts = [dt.datetime.fromisoformat(x["published"]) for x in its]
    if max(ts) - min(ts) > dt.timedelta(hours=36): err(f"story {label}: spans more than 36 h")

hn = defaultdict(set)
hn_lang = defaultdict(set)
for it in items:
    g = it.get("hard_negative_group")
    if g is not None:
        hn[g].add(it["story"]); hn_lang[g].add(it["lang"])
for g, labels in hn.items():
    if len(labels) < 2: err(f"hard_negative_group {g} has only {len(labels)} story")

# ---------------------------------------------------------------- statistics
def short(t): return len(t.split()) <= 4
by_lang = Counter(it["lang"] for it in items)
multi = {k: v for k, v in stories.items() if len(v) >= 2}
single = {k: v for k, v in stories.items() if len(v) == 1}
pairs = sum(len(v) * (len(v) - 1) // 2 for v in stories.values())
size_hist = Counter(len(v) for v in stories.values())
url_pairs = sum(1 for v in stories.values() for a, b in itertools.combinations(v, 2)
                if canon(a["link"]) == canon(b["link"]))
hn_neg_pairs = 0
for g, labels in hn.items():
    its = [it for it in items if it.get("hard_negative_group") == g]
    hn_neg_pairs += sum(1 for a, b in itertools.combinations(its, 2) if a["story"] != b["story"])

def row(*cols): print("| " + " | ".join(str(c) for c in cols) + " |")
print(f"# Statistics for {PATH.name}\n")
print(f"Items: {len(items)}\n")
row("lang", "items", "stories", "multi-item stories", "singletons", "same-story pairs",
    "short titles (<=4 words)", "empty summary", "empty source_categories")
row(*["---"] * 9)
for lang in LANGS + ["all"]:
    sel = items if lang == "all" else [it for it in items if it["lang"] == lang]
    st = {k: v for k, v in stories.items() if v[0]["lang"] == lang or lang == "all"}
    row(lang, len(sel), len(st), sum(1 for v in st.values() if len(v) >= 2),
        sum(1 for v in st.values() if len(v) == 1),
        sum(len(v) * (len(v) - 1) // 2 for v in st.values()),
        sum(short(it["title"]) for it in sel), sum(it["summary"] == "" for it in sel),
        sum(it["source_categories"] == [] for it in sel))
print(f"\nStory sizes: " + ", ".join(f"{k} items: {size_hist[k]} stories" for k in sorted(size_hist)))
print(f"Same-story pairs whose links are the same article URL up to scheme/www/query/fragment: {url_pairs}")

print("\n## Categories (primary = first id; any = primary or secondary)\n")
row("category", *[f"{l} primary" for l in LANGS], "all primary", "all any")
row(*["---"] * 6)
for c in ALLOWED:
    row(c, *[sum(1 for it in items if it["lang"] == l and it["categories"][0] == c) for l in LANGS],
        sum(1 for it in items if it["categories"][0] == c), sum(1 for it in items if c in it["categories"]))

print("\n## declared_lang\n")
row("lang", "equals lang (incl. region subtag)", "null", "wrong/junk", "values seen")
row(*["---"] * 5)
for l in LANGS:
    sel = [it for it in items if it["lang"] == l]
    ok = [it for it in sel if it["declared_lang"] and it["declared_lang"].split("-")[0].lower() == l]
    nul = [it for it in sel if it["declared_lang"] is None]
    bad = [it for it in sel if it not in ok and it not in nul]
    vals = Counter(repr(it["declared_lang"]) for it in sel)
    row(l, len(ok), len(nul), len(bad), ", ".join(f"{k}×{v}" for k, v in sorted(vals.items())))

print(f"\n## Hard-negative groups: {len(hn)} (pairs of items in the same group but different stories: {hn_neg_pairs})\n")
row("group", "lang", "stories (items)")
row(*["---"] * 3)
for g in sorted(hn):
    row(g, ",".join(sorted(hn_lang[g])), "; ".join(f"{s} ({len(stories[s])})" for s in sorted(hn[g])))

if errors:
    print("\nVALIDATION FAILED:", file=sys.stderr)
    for e in errors: print("  " + e, file=sys.stderr)
    sys.exit(1)
print("\nAll checks passed: JSON, required fields, unique ids, allowed categories, vi NFC, "
      "one language per story, >=2 stories per hard-negative group, stories within 36 h, +07:00 dates in range.")

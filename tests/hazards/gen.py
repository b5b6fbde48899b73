#!/usr/bin/env python3
"""Generate the bantin hazard cases that are impractical or error-prone to write by hand.

    python3 tests/hazards/gen.py            # (re)write every generated case
    python3 tests/hazards/gen.py --check    # verify committed files match, write nothing

Standard library only, deterministic (no randomness, no timestamps), so the committed
files can be compared byte-for-byte with a fresh run. Every generated file must stay
below MAX_COMMIT bytes; the script refuses to write anything larger (big cases such as
gzip bombs and 200 MiB bodies are generated at test time, see README.md).

Cases written here: 02, 08-15, 22-32, 66, 67.
"""
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_COMMIT = 300 * 1024
CHECK = "--check" in sys.argv
GENERATED = {}


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) >= MAX_COMMIT:
        sys.exit(f"{name}: {len(data)} bytes >= {MAX_COMMIT}; must not be committed")
    GENERATED[name] = data
    path = os.path.join(HERE, name)
    if CHECK:
        with open(path, "rb") as f:
            if f.read() != data:
                sys.exit(f"{name}: committed file differs from generator output")
    else:
        with open(path, "wb") as f:
            f.write(data)


DECL_UTF8 = '<?xml version="1.0" encoding="UTF-8"?>\n'


def rss(n, chan_title, items, decl=DECL_UTF8, rss_attrs="", extra_chan=""):
    return (
        f'{decl}<rss version="2.0"{rss_attrs}>\n'
        f"  <channel>\n"
        f"    <title>{chan_title}</title>\n"
        f"    <link>https://hazard.example/{n:02d}/</link>\n"
        f"    <description>bantin hazard case {n:02d}</description>\n"
        f"{extra_chan}"
        f"{items}"
        f"  </channel>\n"
        f"</rss>\n"
    )


def item(n, i, title, desc, extra="", item_attrs=""):
    return (
        f"    <item{item_attrs}>\n"
        f"      <title>{title}</title>\n"
        f"      <link>https://hazard.example/{n:02d}/{i}</link>\n"
        f'      <guid isPermaLink="true">https://hazard.example/{n:02d}/{i}</guid>\n'
        f"      <pubDate>Fri, 20 Nov 2026 08:00:00 +0000</pubDate>\n"
        f"      <description>{desc}</description>\n"
        f"{extra}"
        f"    </item>\n"
    )


def nfc(s):
    return unicodedata.normalize("NFC", s)


def nfd(s):
    return unicodedata.normalize("NFD", s)


# ---------------------------------------------------------------- 02 quadratic blowup
# One 10,000-character internal entity referenced 10,000 times: ~40 KB on the wire,
# 100 MB of text if expanded. The entity value is "Q" + x... + "Z", so the sequence
# "ZQ" only exists where two expansions sit next to each other.
big = "Q" + "x" * 9998 + "Z"
write(
    "02-quadratic-blowup.xml",
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<!DOCTYPE rss [\n  <!ENTITY a "{big}">\n]>\n'
    + rss(2, "Hazard 02: quadratic blowup",
          item(2, 1, "Quadratic blowup", "&a;" * 10000)
          + item(2, 2, "Plain sibling item", "No entities here."),
          decl=""),
)

# ---------------------------------------------------------------- 08 deep XML nesting
depth = 5000
nest = "      " + "<nest>" * depth + "bottom" + "</nest>" * depth + "\n"
write("08-deep-xml-nesting.xml",
      rss(8, "Hazard 08: 5,000 nested elements",
          item(8, 1, "Item with 5,000 nested unknown elements", "Normal description.", extra=nest)
          + item(8, 2, "Plain sibling item", "Still here.")))

# ---------------------------------------------------------------- 09 deep HTML nesting
divs = "<div>" * 20000 + "innermost text" + "</div>" * 20000
write("09-deep-html-div-nesting.xml",
      rss(9, "Hazard 09: 20,000 nested divs",
          item(9, 1, "Description nested 20,000 divs deep",
               "<![CDATA[<p>Deep HTML follows.</p>" + divs + "]]>")))

# ---------------------------------------------------------------- 10 attribute flood
attrs = "".join(f' a{i:05d}="{i}"' for i in range(10000))
write("10-attribute-flood.xml",
      rss(10, "Hazard 10: 10,000 attributes",
          item(10, 1, "Item element carrying 10,000 attributes", "Normal description.",
               item_attrs=attrs)
          + item(10, 2, "Plain sibling item", "Still here.")))

# ---------------------------------------------------------------- 11 namespace flood
nsdecls = "".join(f' xmlns:n{i:04d}="urn:x-hazard:ns:{i:04d}"' for i in range(2000))
write("11-namespace-flood.xml",
      rss(11, "Hazard 11: 2,000 namespace declarations",
          item(11, 1, "Root declares 2,000 namespaces", "Normal description.",
               extra="      <n1999:ext>uses the last prefix</n1999:ext>\n"),
          rss_attrs=nsdecls))

# ---------------------------------------------------------------- 12 category flood
cats = "".join(f"      <category>cat-{i:04d}</category>\n" for i in range(5000))
write("12-category-flood.xml",
      rss(12, "Hazard 12: 5,000 categories",
          item(12, 1, "Item with 5,000 categories", "Normal description.", extra=cats)))

# ---------------------------------------------------------------- 13 huge title
# 100,000 code points. At every "likely" cut offset, counted either in UTF-8 bytes or
# in code points, the text holds a multi-byte / multi-code-point unit that a naive
# cut would split: a 4-byte emoji straddles each byte boundary, a regional-indicator
# flag pair straddles each code-point boundary; the filler also carries a ZWJ emoji
# sequence and 2- and 3-byte Vietnamese letters.
BYTE_CUTS = [64, 100, 128, 140, 200, 255, 256, 280, 500, 512, 1000, 1024, 2000, 2048,
             4000, 4096, 8000, 8192, 10000, 16384, 32768, 50000, 65535, 65536, 100000,
             131072]
CHAR_CUTS = [64, 80, 100, 120, 128, 140, 150, 200, 255, 256, 280, 300, 500, 512, 1000,
             1024, 2048, 4096, 8192, 10000, 16384, 32768, 50000, 65535, 65536, 99999]
EMOJI = "\U0001F600"            # 4 bytes in UTF-8, surrogate pair in UTF-16
FLAG = "\U0001F1FB\U0001F1F3"   # VN flag: two regional indicators, one grapheme
FAMILY = "\U0001F469\u200d\U0001F469\u200d\U0001F467"
filler = nfc("Tiêu đề rất dài " + FAMILY + " ở Việt Nam; ")
# Char-cut straddlers, tried in order: flag (2 x 4 bytes), q + combining acute (1+2
# bytes, no precomposed form so NFC keeps it), Devanagari KA + virama (3+3 bytes),
# woman ZWJ girl (4+3+4 bytes).
STRADDLERS = [FLAG, "q\u0301", "\u0915\u094d", "\U0001F469\u200d\U0001F467"]


def lands_on_clean_byte_cut(piece, nbytes):
    off = nbytes
    for ch in piece:
        off += len(ch.encode())
        if off in BYTE_CUTS:
            return True
    return False


parts, nchars, nbytes, fi = [], 0, 0, 0
for ch in "Huge title start Việt Nam ":
    parts.append(ch); nchars += 1; nbytes += len(ch.encode())
while nchars < 100000:
    byte_due = [b for b in BYTE_CUTS if nbytes < b < nbytes + 4]
    char_due = any(c == nchars + 1 for c in CHAR_CUTS)
    if char_due and (nchars + 2) in CHAR_CUTS:   # two adjacent cuts: 3-code-point cluster
        cands = ["\U0001F469\u200d\U0001F467", "q\u0323\u0301"]
    elif char_due:
        cands = STRADDLERS
    elif byte_due:
        cands = [EMOJI]
    else:
        cands = [filler[fi % len(filler)]]; fi += 1

    def ok(p):
        return (not lands_on_clean_byte_cut(p, nbytes)
                and all(nbytes + len(p.encode()) > b for b in byte_due))
    piece = next((p for p in cands if ok(p)), None)
    if piece is None:
        # pad with 1-byte ASCII until a window opens where no cut is clean
        piece = "." if not char_due else cands[0]
    parts.append(piece); nchars += len(piece); nbytes += len(piece.encode())
huge = "".join(parts)
assert huge == nfc(huge)
hb = huge.encode()
for b in BYTE_CUTS:
    if b < len(hb):
        try:
            hb[:b].decode()
        except UnicodeDecodeError:
            continue
        sys.exit(f"13: byte cut {b} is not inside a multi-byte character")
for c in CHAR_CUTS:
    if c < len(huge) and huge[c] not in (FLAG[1], "\u0301", "\u0323", "\u094d", "\u200d") \
            and huge[c - 1] != "\u200d":
        sys.exit(f"13: char cut {c} does not split a grapheme: {huge[c-4:c+4]!r}")
write("13-huge-title-multibyte.xml",
      rss(13, "Hazard 13: 100,000-character title",
          item(13, 1, huge, "The title above is 100,000 code points long.")))

# ---------------------------------------------------------------- 14 Vietnamese, many combining marks
# Decomposed (NFD) Vietnamese, plus one base letter carrying 64 stacked combining marks
# (a "zalgo" cluster) to exercise normalization buffers / stream-safe limits.
zalgo = "a" + "".join(chr(0x0300 + (i % 0x70)) for i in range(64))
t14 = nfd("Tiếng Việt có dấu: Nguyễn Thị Hường ở Đà Nẵng ") + zalgo + " hết"
write("14-vietnamese-combining-marks.xml",
      rss(14, "Hazard 14: combining marks",
          item(14, 1, t14, nfd("Bài viết bằng tiếng Việt, dạng phân rã (NFD)."))))

# ---------------------------------------------------------------- 15 raw control characters
CTRL = "".join(chr(c) for c in list(range(1, 9)) + [0x0B, 0x0C, 0x1F])
write("15-control-chars-raw.xml",
      rss(15, "Hazard 15: raw control characters",
          item(15, 1, "Before" + CTRL + "After",
               "&lt;p&gt;ctrl" + CTRL + "inside html&lt;/p&gt;")
          + item(15, 2, "Clean " + "\x0b" + "sibling", "Vertical tab in the title.")))

# ---------------------------------------------------------------- charsets
VI_TITLE = "Tin tức Việt Nam hôm nay"
VI_DESC = "Đây là bản tin thử nghiệm bằng tiếng Việt."


def charset_feed(n, decl, title, desc, chan):
    return rss(n, chan, item(n, 1, title, desc) + item(n, 2, "ASCII sibling", "ascii"),
               decl=decl)


# 22: UTF-8 BOM, declaration claims ISO-8859-1 (BOM must win).
write("22-utf8-bom-declared-latin1.xml",
      b"\xef\xbb\xbf" + charset_feed(
          22, '<?xml version="1.0" encoding="ISO-8859-1"?>\n', VI_TITLE, VI_DESC,
          "Hazard 22: UTF-8 BOM vs ISO-8859-1 declaration").encode("utf-8"))

CP1252_TITLE = "Café “quoted” — naïve €5 œuvre"
# 23: windows-1252 bytes, declared.
write("23-cp1252-declared.xml",
      charset_feed(23, '<?xml version="1.0" encoding="windows-1252"?>\n', CP1252_TITLE,
                   "Smart ‘quotes’ … and a ™ sign.",
                   "Hazard 23: windows-1252 declared").encode("cp1252"))
# 24: windows-1252 bytes, no encoding anywhere (neither declaration nor header).
write("24-cp1252-undeclared.xml",
      charset_feed(24, '<?xml version="1.0"?>\n', CP1252_TITLE,
                   "Smart ‘quotes’ … and a ™ sign.",
                   "Hazard 24: windows-1252 undeclared").encode("cp1252"))


def encode_cp1258(s):
    """Windows-1258 keeps only some precomposed letters; the rest is base + combining
    tone mark (what Word and iconv produce). Python's cp1258 codec does not decompose."""
    out = bytearray()
    for ch in nfc(s):
        try:
            out += ch.encode("cp1258"); continue
        except UnicodeEncodeError:
            pass
        d = nfd(ch)
        for k in range(1, len(d)):
            rest, mark = nfc(d[:k] + d[k + 1:]), d[k]
            try:
                out += rest.encode("cp1258") + mark.encode("cp1258"); break
            except UnicodeEncodeError:
                continue
        else:
            raise ValueError(f"cannot encode {ch!r} in windows-1258")
    return bytes(out)


write("25-cp1258-vietnamese.xml",
      encode_cp1258(charset_feed(25, '<?xml version="1.0" encoding="windows-1258"?>\n',
                                 VI_TITLE, VI_DESC, "Hazard 25: windows-1258 Vietnamese")))

# VISCII (RFC 1456): only the letters used here; verified against glibc iconv.
VISCII = {"à": 0xE0, "â": 0xE2, "ô": 0xF4, "Đ": 0xD0, "ả": 0xE4, "ằ": 0xA2,
          "ệ": 0xAE, "ứ": 0xD1, "ử": 0xD8}


def encode_viscii(s):
    return bytes(ord(c) if ord(c) < 0x80 else VISCII[c] for c in nfc(s))


write("26-viscii-vietnamese.xml",
      encode_viscii(charset_feed(26, '<?xml version="1.0" encoding="VISCII"?>\n',
                                 VI_TITLE, VI_DESC.replace("tiếng Việt", "VISCII"),
                                 "Hazard 26: VISCII Vietnamese")))

# 27: UTF-16LE with BOM.
write("27-utf16le-bom.xml",
      b"\xff\xfe" + charset_feed(27, '<?xml version="1.0" encoding="UTF-16"?>\n', VI_TITLE,
                                 VI_DESC, "Hazard 27: UTF-16LE with BOM").encode("utf-16-le"))
# 28: UTF-16BE, no BOM (only the 00 3C 00 3F pattern and the declaration say so).
write("28-utf16be-no-bom.xml",
      charset_feed(28, '<?xml version="1.0" encoding="UTF-16BE"?>\n', VI_TITLE, VI_DESC,
                   "Hazard 28: UTF-16BE without BOM").encode("utf-16-be"))

# 29: invalid UTF-8 in a UTF-8-declared document.
bad_title = b"Valid prefix \xc3\x28 valid suffix"
bad_desc = (b"lone continuation \x80, bad lead \xff\xfe, overlong slash \xc0\xaf, "
            b"overlong script tag \xc0\xbcscript\xc0\xbealert(29)\xc0\xbc/script\xc0\xbe, "
            b"UTF-16 surrogate \xed\xa0\x80, above U+10FFFF \xf4\x90\x80\x80, "
            b"truncated emoji \xf0\x9f\x98 end")
t = charset_feed(29, DECL_UTF8, "@@T@@", "@@D@@", "Hazard 29: invalid UTF-8").encode()
write("29-invalid-utf8.xml", t.replace(b"@@T@@", bad_title).replace(b"@@D@@", bad_desc))

# 30: NFD Vietnamese in UTF-8 (whole document decomposed).
write("30-nfd-vietnamese-utf8.xml",
      nfd(rss(30, "Hazard 30: NFD Vietnamese — Tin tức",
              item(30, 1, VI_TITLE, VI_DESC,
                   extra="      <category>Thời sự</category>\n")
              + item(30, 2, "Nguyễn Ái Quốc", "Hồ Chí Minh, Đà Nẵng, Huế"))).encode())

# 31: windows-1252 bytes, no declaration; charset only in the HTTP header.
write("31-charset-only-in-header.xml",
      charset_feed(31, '<?xml version="1.0"?>\n', CP1252_TITLE,
                   "Smart ‘quotes’ … and a ™ sign.",
                   "Hazard 31: charset only in Content-Type").encode("cp1252"))
# 32: UTF-8 BOM + UTF-8 declaration, but served with charset=ISO-8859-1.
write("32-bom-vs-header-charset.xml",
      b"\xef\xbb\xbf" + charset_feed(32, DECL_UTF8, VI_TITLE, VI_DESC,
                                     "Hazard 32: BOM vs header charset").encode())

# ---------------------------------------------------------------- JSON Feed
# 66: 50,000 nested arrays inside an extension member of an item.
deep = "[" * 50000 + "]" * 50000
write("66-jsonfeed-deep-nesting.json",
      '{"version": "https://jsonfeed.org/version/1.1",\n'
      ' "title": "Hazard 66: deep nesting",\n'
      ' "home_page_url": "https://hazard.example/66/",\n'
      ' "items": [\n'
      '  {"id": "https://hazard.example/66/1", "url": "https://hazard.example/66/1",\n'
      '   "title": "Item with 50,000 nested arrays", "content_text": "x",\n'
      '   "_deep": ' + deep + '}\n'
      ' ]}\n')

# 67: huge strings, with JSON escapes (including surrogate pairs) spread through them.
unit = "café \\u00e9 \\ud83d\\ude00 Việt Nam \\\" \\\\ \\n "
title67 = "Huge JSON title start " + unit * 2400
html67 = "<p>" + "A very long paragraph of text. " * 5000 + "</p>"
doc67 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Hazard 67: huge strings",
    "home_page_url": "https://hazard.example/67/",
    "items": [{"id": "https://hazard.example/67/1", "url": "https://hazard.example/67/1",
               "title": "@@TITLE@@", "content_html": html67}],
}
s67 = json.dumps(doc67, ensure_ascii=False, indent=1).replace("@@TITLE@@", title67)
json.loads(s67)
write("67-jsonfeed-huge-strings.json", s67 + "\n")

if __name__ == "__main__":
    for name in sorted(GENERATED):
        print(f"{'ok  ' if CHECK else 'wrote'} {len(GENERATED[name]):>7}  {name}")

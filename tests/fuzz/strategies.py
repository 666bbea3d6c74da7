"""Hypothesis strategies for hostile form input, and the request bodies that carry it."""

import datetime
import inspect
from urllib.parse import quote_from_bytes

from django.core import validators
from django.forms import fields as form_fields
from django.forms import models as model_forms
from django.utils import translation
from hypothesis import strategies as st

HUGE = "x" * 10_000
SPECIAL = [
    "", " ", "\x00", "a\x00b", "\x00" * 3, "🙂" * 40, "👨‍👩‍👧‍👦", "\u202eRTL\u202c tekst",
    "שלום עולם", "مرحبا", "\ufeffbom", "\ud800", "a\udfffb", HUGE, "😀" * 5000,
    "<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "{{ 7*7 }}", "{% debug %}",
    "31-02-2026", "2026-02-31", "0000-00-00", "99999-12-31", "2026-13-01", "1-1-1",
    "-1", "0", "-99999999999999999999", "99999999999999999999", "1e309", "NaN", "inf",
    "1.5", "0x10", "null", "None", "true", "[]", "{}", "../../etc/passwd",
    "' OR 1=1 --", "²", "¹²", "١٢", "１２", "Ⅻ", "1\x00", "%00", "%s%s%n", "\r\n\r\n", "\t", "\u0085", "\u2028",
]

nasty_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s * 3),
    st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
)

dates = st.one_of(
    st.dates(min_value=datetime.date(1, 1, 1)).map(lambda d: d.isoformat()),
    st.dates(min_value=datetime.date(1, 1, 1)).map(lambda d: d.strftime("%d-%m-%Y")),
    st.sampled_from(["31-02-2026", "2026-02-30", "29-02-2027", "00-00-0000", "2026-1-1",
                     "1-1-99999", "32-01-2026", "2026-02-29T25:61"]),
)
times = st.one_of(st.times().map(lambda t: t.isoformat()),
                  st.sampled_from(["25:00", "12:60", "-1:00", "24:00", "12:00:99"]))
numbers = st.one_of(st.integers().map(str),
                    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(str))


def english_messages() -> list[str]:
    """Django's own English form/validator messages (the text before the first placeholder).

    With LANGUAGE_CODE "nl" they come out in Dutch; any of these on a page means a message
    escaped translation."""
    found = set()
    with translation.override("en"):
        for module in (form_fields, model_forms):
            for _n, cls in inspect.getmembers(module, inspect.isclass):
                found.update(str(m) for m in getattr(cls, "default_error_messages", {}).values())
        for _n, cls in inspect.getmembers(validators, inspect.isclass):
            if getattr(cls, "message", None):
                found.add(str(cls.message))
    prefixes = set()
    for message in found:
        head = message.split("%(")[0].split("{")[0].split("“")[0].strip()
        if len(head) >= 12:
            prefixes.add(head)
    return sorted(prefixes)


def value_for(field, foreign_ids):
    """A strategy for one value of ``field`` (a ``html_forms.Field``)."""
    offered = [v for v in field.values if v is not None]
    ids = st.sampled_from(foreign_ids).map(str) if foreign_ids else st.nothing()
    if field.kind in ("select", "radio", "checkbox", "button"):
        choices = st.sampled_from(offered) if offered else st.nothing()
        return st.one_of(choices, choices, ids, nasty_text)
    current = st.sampled_from(field.current) if field.current else st.nothing()
    if field.kind == "date":
        return st.one_of(dates, nasty_text, current)
    if field.kind in ("time", "datetime-local"):
        return st.one_of(times, dates, nasty_text, current)
    if field.kind == "number":
        return st.one_of(numbers, ids, nasty_text)
    if field.kind == "hidden":
        return st.one_of(current, current, numbers, ids, nasty_text)
    return st.one_of(nasty_text, current)


def file_value():
    return st.tuples(st.sampled_from(["x.pdf", "a.exe", "", "<b>.png", "\u202egpj.exe",
                                      "x" * 300 + ".pdf"]),
                     st.one_of(st.binary(max_size=64), st.just(b"%PDF-1.4\n%%EOF\n"),
                               st.just(b"")))


@st.composite
def bodies(draw, form, foreign_ids):
    """A list of (name, value) pairs: each field kept, fuzzed, dropped or repeated, plus
    random extra names. File fields give (filename, bytes) tuples."""
    pairs = []
    for f in form.fields.values():
        if f.name == "csrfmiddlewaretoken":
            continue
        mode = draw(st.sampled_from(["fuzz", "fuzz", "fuzz", "keep", "omit", "dup"]))
        if mode == "omit":
            continue
        if f.kind == "file":
            pairs.append((f.name, draw(file_value())))
            continue
        if mode == "keep" and (f.current or f.values):
            kept = f.current or f.values[:1]
            pairs.extend((f.name, v) for v in kept)
            continue
        count = 2 if mode == "dup" else 1
        if f.multiple and mode != "dup":
            count = draw(st.integers(min_value=0, max_value=3))
        for _ in range(count):
            pairs.append((f.name, draw(value_for(f, foreign_ids))))
    for name, value in draw(st.lists(st.tuples(nasty_text, nasty_text), max_size=2)):
        pairs.append((name, value))
    return pairs


def _enc(s: str) -> str:
    # surrogatepass: lone surrogates go out as the (invalid) UTF-8 bytes a broken client sends
    return quote_from_bytes(s.encode("utf-8", "surrogatepass"), safe="")


def urlencoded(pairs) -> str:
    return "&".join(f"{_enc(k)}={_enc(v)}" for k, v in pairs if isinstance(v, str))


def clean_surrogates(s: str) -> str:
    return s.encode("utf-8", "replace").decode("utf-8")

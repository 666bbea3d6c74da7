"""The <form> elements of a page and their fields, read with ``html.parser``.

Only what the fuzzer needs: where a form posts to, how (method, enctype), and per field its
name, kind (the input type, "select", "textarea", "button") and the values it offers (select
options, checkbox/radio values) or currently holds (the value attribute, a textarea's text).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser

TEXT_TYPES = {"text", "textarea", "email", "url", "tel", "search", "number", "date", "time",
              "datetime-local", "month", "week", "hidden"}


@dataclass
class Field:
    name: str
    kind: str
    values: list = field(default_factory=list)  # offered: options / checkbox+radio values
    current: list = field(default_factory=list)  # held: value attr, selected/checked, text
    required: bool = False
    multiple: bool = False
    maxlength: int | None = None
    disabled: bool = False


@dataclass
class Form:
    method: str
    action: str | None
    enctype: str
    fields: dict = field(default_factory=dict)  # name -> Field (radios/checkboxes merged)

    @property
    def multipart(self):
        return "multipart" in self.enctype


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.errors = 0  # elements carrying an error class
        self._form = None
        self._select = None
        self._option = None
        self._textarea = None

    def _add(self, name, kind, **kw):
        f = self._form.fields.get(name)
        if f is None:
            f = self._form.fields[name] = Field(name=name, kind=kind, **kw)
        return f

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if {"field__errors", "errorlist"} & set(classes) or "alert--error" in classes:
            self.errors += 1
        if tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(), action=a.get("action"),
                              enctype=(a.get("enctype") or "").lower())
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option = [a.get("value"), "selected" in a, ""]
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            maxlength = int(a["maxlength"]) if (a.get("maxlength") or "").isdigit() else None
            f = self._add(name, kind, required="required" in a, maxlength=maxlength)
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                f.values.append(value)
                if "checked" in a:
                    f.current.append(value)
                f.multiple = f.multiple or (kind == "checkbox" and len(f.values) > 1)
            elif kind in ("submit", "button", "image", "reset"):
                f.kind = "button"
                f.values.append(value)
            else:
                f.current = [value]
        elif tag == "button":
            f = self._add(name, "button")
            f.values.append(a.get("value", ""))
        elif tag == "select":
            self._select = self._add(name, "select", required="required" in a,
                                     multiple="multiple" in a)
        elif tag == "textarea":
            maxlength = int(a["maxlength"]) if (a.get("maxlength") or "").isdigit() else None
            self._textarea = self._add(name, "textarea", required="required" in a,
                                       maxlength=maxlength)
            self._textarea.current = [""]
        if tag in ("input", "select", "textarea") and "disabled" in a and name in self._form.fields:
            self._form.fields[name].disabled = True

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.current[0] += data
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea.current[0]
            # HTML drops one newline right after <textarea>; Django's widget writes one.
            self._textarea.current[0] = text[1:] if text.startswith("\n") else text
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value, selected, text = self._option
            value = text.strip() if value is None else value
            self._select.values.append(value)
            if selected:
                self._select.current.append(value)
            self._option = None
        elif tag == "select":
            self._select = None


def parse(html: str) -> tuple[list[Form], int]:
    """The page's forms and how many error elements it shows."""
    p = _Parser()
    p.feed(html)
    p.close()
    return p.forms, p.errors

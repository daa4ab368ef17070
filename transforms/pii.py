"""Scrub personal contact data from free-text profile fields (bios, display names) before gold.

Three Java regular expressions run in this order, each replacing what it matches by a marker:

1. ``[link]``: an ``http://``, ``https://`` or ``www.`` URL that carries a personal token, i.e.
   - a non-empty query string or fragment (``?ref=jane123``, ``#uid=9``, also ``#section``), or
   - an opaque token in its path: a run of 16 or more ASCII letters and digits in which letters and
     digits alternate at least twice (``a8F3kLm9Qz2Xv7Bn4R``), or a UUID.
   Plain URLs (``https://example.org/about``, ``www.example.com/blog/post-title``) are kept. A URL
   ends at white space, at a character outside RFC 3986 (CJK text right after a URL is not part of it)
   and never on trailing punctuation (``. , ; : ! ? ) ] ' "``), which stays in the text.
2. ``[email]``: ``local@domain.tld`` in any case. The local part is Latin letters, digits and
   ``. _ % + -``; the domain is dot-separated Latin/digit labels ending in a Latin TLD of 2+ letters.
   ``@`` may also be the full-width ``＠`` or a bracketed word, and a dot a bracketed word:
   ``jane [at] example [dot] com``, ``jane(at)example(dot)org``, ``jane{arroba}example(punto)es``
   (at/arroba/arobase; dot/punto/point/punkt/punt). The unbracketed ``jane at example dot com`` is
   kept: in prose it cannot be told from ordinary words. A fediverse handle ``@jane@example.social``
   is a mention, not an e-mail, and is kept.
3. ``[phone]``: a phone number is a *run* of 8 to 15 digits, optionally after a ``+`` (or 17 when
   it starts with the ``00`` international prefix), in which consecutive digits are separated by at
   most one of ``space . - /``, a group may be parenthesised (``(555)``, ``(0)``), and
   - the run is whole: it does not start right after a letter, digit, ``_ @ # / + = \\`` or a currency
     sign, nor after a digit followed by ``. , : / -``; it does not end right before a letter, digit,
     ``_``, ``,digit``, ``:digit``, ``%`` or a currency sign;
   - the run does not start with a date (``2024-03-10``, ``10/03/2024``, ``10.03.24``: same
     separator twice, the date not running on into more separated digits), nor a year range
     (``2019-2024``);
   - the run is not one decimal number (``3.14159265``) nor a number grouped in thousands by spaces
     or dots (``12 345 678``, ``10.000.000``).
   Letters of scripts written without spaces (Han, Hiragana, Katakana, Hangul, Thai) do not count as
   "right after a letter": ``電話03-1234-5678まで`` is scrubbed.

Ambiguities, decided this way on purpose:
- Numbers separated from each other only by one space (or ``. - /``) form one run: ``2024 2023`` or
  ``top 10 06 12 34 56 78`` count their digits together, so two years in a row become ``[phone]``.
  Separate numbers by a word or a comma (``2024, 2023``) to keep them.
- Long dotted version numbers and IPv4 addresses with 8+ digits (``10.0.19041.1234``) and ISBNs are
  phone-shaped and scrubbed; ``v10.0.19041`` is kept (it follows a letter).
- A phone written as thousands (Spanish ``612 345 678`` without ``+34``) is kept; with the country
  code it is scrubbed. Local numbers of fewer than 8 digits (``123-4567``) are kept.
- An ungrouped amount of 8+ digits with a space before its currency or percent sign
  (``12000000 €``) is scrubbed: a phone next to a price (``06 12 34 56 78 €5/min``) must not leak.
- A digit-only path segment (``wa.me/33612345678``) is neither a token nor a phone (it follows ``/``).
- A separated run of more than 15 digits (an IBAN, a card number) is not a phone, but its last 8 to
  15 digits after a space are: ``4111 1111 1111 1111`` becomes ``4111 [phone]``.
- Full-width digits (``０３－１２３４－５６７８``) are not read as digits and are kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame, functions as F

EMAIL_MARKER, PHONE_MARKER, LINK_MARKER = "[email]", "[phone]", "[link]"
PII_MARKERS = (EMAIL_MARKER, PHONE_MARKER, LINK_MARKER)

# Scripts written without spaces between words: a number or address may touch their letters.
_UNSPACED = r"\p{IsHan}\p{IsHiragana}\p{IsKatakana}\p{IsHangul}\p{IsThai}"
# A character that glues onto a word: a letter of a spaced script, a digit or '_'. A whole class, so
# that it can be nested in a union: Java's && would otherwise intersect with the rest of the union.
_GLUED = rf"[\p{{L}}\p{{N}}_&&[^{_UNSPACED}]]"

# --- links ---------------------------------------------------------------------------------------
# RFC 3986 characters plus letters of spaced scripts (IRIs such as /wiki/Élysée).
_URL_CHAR = rf"[\w\-.~:/?#\[\]@!$&'()*+,;=%\p{{L}}\p{{N}}&&[^{_UNSPACED}]]"
_URL_END = rf"[\w\-~/#@$&*+=%\p{{L}}\p{{N}}&&[^{_UNSPACED}]]"  # a URL never ends on . , ; : ! ? ) ] ' "
_OPAQUE_TOKEN = (
    r"(?<![A-Za-z0-9])"
    r"(?:(?=[A-Za-z0-9]*?(?:[A-Za-z][0-9]+[A-Za-z]|[0-9][A-Za-z]+[0-9]))[A-Za-z0-9]{16,}"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?![A-Za-z0-9])"
)
LINK_PATTERN = (
    rf"(?i)(?<![{_GLUED}@.\-])(?:https?://|www\.)"
    rf"(?={_URL_CHAR}*?(?:[?#]{_URL_CHAR}*?{_URL_END}|/{_URL_CHAR}*?{_OPAQUE_TOKEN}))"
    rf"{_URL_CHAR}*{_URL_END}"
)

# --- e-mail addresses ----------------------------------------------------------------------------
_OPEN, _CLOSE = r"\s?[\[({<]\s?", r"\s?[\])}>]\s?"
_AT = rf"(?:[@＠]|{_OPEN}(?:at|@|arroba|arobase){_CLOSE})"
_DOT = rf"(?:\.|{_OPEN}(?:dot|\.|punto|point|punkt|punt){_CLOSE})"
_LABEL = r"[\p{IsLatin}\p{N}](?:[\p{IsLatin}\p{N}\-]*[\p{IsLatin}\p{N}])?"
EMAIL_PATTERN = (
    rf"(?i)(?<![{_GLUED}.%+@＠\-])"
    r"[\p{IsLatin}\p{N}_%+\-](?:[\p{IsLatin}\p{N}._%+\-]*[\p{IsLatin}\p{N}_%+\-])?"
    rf"{_AT}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?:xn--[a-z0-9\-]+|\p{{IsLatin}}{{2,}})"
    r"(?![\p{IsLatin}\p{N}_\-])"
)

# --- phone numbers -------------------------------------------------------------------------------
_SEP = r"[ .\-/]"
# One more digit of the same run: what may follow a digit (or its closing parenthesis).
_MORE = rf"\)?{_SEP}?\(?\d"
_DATE = (
    r"(?:\d{4}(?<dsep>[\-/.])\d{1,2}\k<dsep>\d{1,2}|\d{1,2}(?<esep>[\-/.])\d{1,2}\k<esep>\d{2,4}"
    r"|(?:19|20)\d{2}[\-/](?:19|20)\d{2})"
    r"(?![.\-/]?\d)"
)
_DECIMAL = rf"\d+\.\d+(?!{_MORE})"
_THOUSANDS = rf"\d{{1,3}}(?<tsep>[ .])\d{{3}}(?:\k<tsep>\d{{3}})+(?!{_MORE})"
PHONE_PATTERN = (
    rf"(?<![{_GLUED}@#/+=\\\p{{Sc}}])(?<!\d[.,:/\-])"
    # 8-15 digits in the run, counted before anything is consumed; the run must end there
    rf"(?=(?:\+|00)?\(?\d\)?(?:{_SEP}?\(?\d\)?){{7,14}}(?!{_MORE}))"
    rf"(?!{_DATE})(?!{_DECIMAL})(?!{_THOUSANDS})"
    rf"\+?(?:\(\d{{1,4}}\)|\d)(?:{_SEP}?(?:\(\d{{1,4}}\)|\d))*"
    rf"(?!{_MORE})(?![{_GLUED}])(?![,:]\d)(?![%\p{{Sc}}])"
)


def scrub_pii(text: Column) -> Column:
    """The text with token-carrying URLs, e-mail addresses and phone numbers replaced by markers.

    Links go first so that an address inside a query string becomes part of one [link]; e-mails go
    before phones so that digits in a local part are not taken for a phone. Null stays null.
    """
    without_links = F.regexp_replace(text, LINK_PATTERN, LINK_MARKER)
    without_emails = F.regexp_replace(without_links, EMAIL_PATTERN, EMAIL_MARKER)
    return F.regexp_replace(without_emails, PHONE_PATTERN, PHONE_MARKER)


def with_scrubbed_profile_text(df: DataFrame, columns: Iterable[str] = ("display_name", "bio")) -> DataFrame:
    """Apply scrub_pii to each of `columns` the frame has; absent columns are skipped."""
    present = [name for name in columns if name in df.columns]
    return df.withColumns({name: scrub_pii(F.col(name)) for name in present})

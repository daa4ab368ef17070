"""transforms.pii: e-mails, phone numbers and token URLs leave free text; ordinary text stays intact.

Spark jobs cost about half a second each, so every hypothesis example is a list of texts (150-200
ordinary texts of up to 6 tokens, or 110-130 texts holding about 200 pieces of personal data among
300 ordinary tokens) scrubbed in one DataFrame with one collect(). The expected output of each text is
built alongside it, from the parts it was assembled from, never from the scrubber.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from transforms.pii import EMAIL_MARKER, LINK_MARKER, PHONE_MARKER, scrub_pii, with_scrubbed_profile_text

TEXTS_SCHEMA = "case_id int, text string"
# Each example is one Spark job over a list of texts. The list sizes keep one example within
# hypothesis's data budget per example (about 8 KB of choices): about 35 per ordinary text, 55 per
# text with personal data.
BATCH = settings(
    max_examples=8,
    deadline=None,
    database=None,
    # no shrinking: a failure already lists the failing texts of its batch, and shrinking a list of
    # texts one Spark job per step takes minutes
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    # a large base example is the point: the smallest list is still a full batch
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)

WORDS = {
    "en": ["hello", "Data", "engineer", "coffee", "London", "opinions", "my", "own", "don't", "co-founder", "at", "dot"],
    "fr": ["bonjour", "ingénieure", "données", "été", "Ça", "façon", "où", "l'équipe", "très", "Noël", "À", "bientôt!"],
    "es": ["hola", "señora", "años", "¿Qué", "tal?", "¡Vamos!", "corazón", "mañana", "pingüino", "Sevilla", "llámame"],
    "de": ["Grüße", "Straße", "Müller", "über", "schön", "Ärzte", "Fußball", "Öffnungszeiten", "Tschüss", "ruf", "an"],
    "nl": ["hallo", "gezellig", "fiets", "ijsje", "Amsterdam", "één", "bellen", "mij", "tot", "ziens", "mailen"],
    "ja": ["こんにちは", "東京", "データ", "エンジニア", "日本語", "です", "よろしく", "お願いします", "電話", "メール", "まで"],
}
EMOJI = ["🎉", "❤️", "👍🏽", "🇫🇷", "☕"]
ASCII_WORDS = ["about", "blog", "post", "title", "news", "team", "jobs", "docs", "profile", "events", "press"]
TLDS = ["com", "org", "fr", "es", "de", "nl", "jp", "co.uk", "io", "social"]
# Joins between tokens; "" and "、" only next to Japanese, which is written without spaces.
SEPARATORS = [" ", " ", " ", "  ", "\n", ", ", " | ", " · ", "; ", "", "、"]
UNSPACED_ONLY = {"", "、"}


def is_japanese(char: str) -> bool:
    return "\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff"


def separators_between(tokens: list[str], seed: int) -> list[str]:
    """The separator after each token but the last, read from `seed` digit by digit (base
    len(SEPARATORS)), made unambiguous where two numbers would meet.

    Two numbers separated by one space read as one digit run (see the module's ambiguities), so a
    comma separates them as a writer would.
    """
    separators = []
    for left, right in zip(tokens, tokens[1:]):
        seed, choice = divmod(seed, len(SEPARATORS))
        separator = SEPARATORS[choice]
        if separator in UNSPACED_ONLY and not (is_japanese(left[-1]) or is_japanese(right[0])):
            separator = " "
        if separator == " " and left[-1].isdigit() and right[0] in string.digits + "(":
            separator = ", "
        separators.append(separator)
    return separators


def join(tokens: list[str], separators: list[str]) -> str:
    return tokens[0] + "".join(separator + token for separator, token in zip(separators, tokens[1:], strict=True))


def alphanumeric(number: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    """`number` written in base len(alphabet): one integer draw instead of a drawn string per
    character keeps a few hundred texts within one hypothesis example's budget."""
    out = alphabet[number % len(alphabet)]
    while number >= len(alphabet):
        number //= len(alphabet)
        out += alphabet[number % len(alphabet)]
    return out


def opaque_token(number: int) -> str:
    """16 to 24 characters alternating 1-2 letters and 1 digit: an opaque token, never a word or slug."""
    out = []
    for _ in range(8):
        number, first = divmod(number, 52)
        number, second = divmod(number, 53)  # 52: no second letter
        number, digit = divmod(number, 10)
        out.append(string.ascii_letters[first] + (string.ascii_letters + " ")[second].strip() + str(digit))
    return "".join(out)


def digits(count: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=10**count - 1).map(lambda n: str(n).zfill(count))


def filled(template: str) -> st.SearchStrategy[str]:
    """A template such as '+33 {1} {2}' with each {n} replaced by n random digits."""
    pieces = string.Formatter().parse(template)
    parts = [(literal, int(field) if field else 0) for literal, field, _, _ in pieces]
    total = sum(width for _, width in parts)

    def fill(number: str) -> str:
        out, at = [], 0
        for literal, width in parts:
            out.append(literal + number[at : at + width])
            at += width
        return "".join(out)

    return digits(total).map(fill)


# --- ordinary tokens -----------------------------------------------------------------------------
words = st.sampled_from([word for language in WORDS.values() for word in language] + EMOJI)
ascii_words = st.sampled_from(ASCII_WORDS)
handles = st.text(alphabet=string.ascii_lowercase + string.digits + "_", min_size=1, max_size=10)
years = st.integers(min_value=1900, max_value=2099)
small = st.integers(min_value=0, max_value=999)
big = st.integers(min_value=1000, max_value=10**10)
hosts = st.builds(lambda name, tld: f"{name}.{tld}", ascii_words, st.sampled_from(TLDS))
dates = st.builds(
    lambda year, month, day, form: form.format(y=year, m=month, d=day, yy=year % 100),
    years,
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from(["{y}-{m:02}-{d:02}", "{d:02}/{m:02}/{y}", "{d}.{m}.{y}", "{m}/{d}/{yy:02}", "{d:02}-{m:02}-{y}"]),
)
numbers = st.one_of(
    years.map(str),
    small.map(str),
    small.map(lambda n: f"top {n}"),
    small.map(lambda n: f"No. {n}"),
    big.map(lambda n: f"{n:,}"),  # 1,000,000
    big.map(lambda n: f"{n:,}".replace(",", ".")),  # 1.000.000
    big.map(lambda n: f"{n:,}".replace(",", " ")),  # 1 000 000
    big.map(lambda n: f"{n:,} followers"),
    st.builds(lambda a, b: f"{a}-{b}", years, years),  # a year range
    st.builds(lambda a, b: f"{a}.{b}", small, big),  # a decimal: 3.14159265
)
dates_and_times = st.one_of(
    dates,
    st.builds(lambda h, m: f"{h}:{m:02}", st.integers(0, 23), st.integers(0, 59)),
    st.builds(lambda d, h, m: f"{d} {h:02}:{m:02}", dates, st.integers(0, 23), st.integers(0, 59)),
)
money = st.one_of(
    st.builds(lambda a, c: f"€{a},{c:02}", big, st.integers(0, 99)),
    st.builds(lambda a, c: f"${a:,}.{c:02}", big, st.integers(0, 99)),
    st.builds(lambda a, c: f"{a},{c:02} €", big, st.integers(0, 99)),
    st.builds(lambda a: f"{a:,} £", big),
    st.builds(lambda a: f"¥{a}", big),
    st.builds(lambda a, b: f"{a}.{b}%", small, small),
    small.map(lambda a: f"{a} %"),
)
# Version numbers as released: small components (a long dotted run is phone-shaped, see the module).
versions = st.builds(
    lambda a, b, c, v: f"{v}{a}.{b}.{c}", st.integers(0, 30), st.integers(0, 99), small, st.sampled_from(["", "v"])
)
tags = st.one_of(
    st.builds(lambda word: f"#{word}", words),
    st.builds(lambda handle: f"#{handle}", handles),
    st.builds(lambda handle: f"@{handle}", handles),
    st.builds(lambda handle, host: f"@{handle}@{host}", handles, hosts),  # a fediverse handle
)
plain_urls = st.builds(
    lambda scheme, host, path: scheme + host + "".join(f"/{segment}" for segment in path),
    st.sampled_from(["https://", "http://", "www.", "https://www."]),
    hosts,
    st.lists(
        st.one_of(ascii_words, st.builds(lambda a, b: f"{a}-{b}", ascii_words, ascii_words), years.map(str), big.map(str)),
        max_size=3,
    ),
)
ordinary_tokens = st.one_of(words, words, words, numbers, dates_and_times, money, versions, tags, plain_urls)

# --- personal data, each paired with the marker it must become -----------------------------------
PHONE_TEMPLATES = [
    "+33 {1} {2} {2} {2} {2}",
    "0{1} {2} {2} {2} {2}",
    "0{1}.{2}.{2}.{2}.{2}",
    "+33 (0){1} {2} {2} {2} {2}",
    "+33{9}",
    "+1 ({3}) {3}-{4}",
    "({3}) {3}-{4}",
    "{3}-{3}-{4}",
    "{3}.{3}.{4}",
    "+49 30 {8}",
    "+49 (0)30 {4} {4}",
    "030/{7}",
    "0{3} {8}",
    "+4930{8}",
    "+34 6{2} {3} {3}",
    "+34 9{2} {2} {2} {2}",
    "+31 20 {3} {4}",
    "06-{8}",
    "020-{3} {4}",
    "+81-3-{4}-{4}",
    "03-{4}-{4}",
    "090-{4}-{4}",
    "+81 90 {4} {4}",
    "+44 20 {4} {4}",
    "0044 20 {4} {4}",
    "020 {4} {4}",
    "07{3} {6}",
]
phones = st.sampled_from(PHONE_TEMPLATES).flatmap(filled)

short_names = st.integers(min_value=0, max_value=36**6).map(alphanumeric)
local_parts = st.builds(
    lambda first, rest: first + "".join(join_char + part for join_char, part in rest),
    short_names,
    st.lists(st.tuples(st.sampled_from(".+_-"), short_names), max_size=2),
)
emails = st.builds(
    lambda local, label, tld, at, dot, case: case(local + at + label + dot + tld.replace(".", dot)),
    local_parts,
    st.one_of(
        ascii_words,
        st.builds(lambda a, b: f"{a}-{b}", ascii_words, ascii_words),
        st.builds(lambda a, b: f"{a}.{b}", ascii_words, ascii_words),
    ),
    st.sampled_from(TLDS),
    st.sampled_from(["@", "@", "@", " [at] ", "(at)", " (at) ", "[AT]", " {at} ", "＠", " [arroba] ", "(arobase)"]),
    st.sampled_from([".", ".", " [dot] ", "(dot)", " (punto) ", "[punkt]", "(point)"]),
    st.sampled_from([str.lower, str.upper, str.title]),
)

opaque_tokens = st.integers(min_value=0, max_value=(52 * 53 * 10) ** 8 - 1).map(opaque_token)
query_values = st.integers(min_value=0, max_value=62**10).map(lambda n: alphanumeric(n, string.ascii_letters + string.digits))
token_urls = st.builds(
    lambda scheme, host, path, tail: f"{scheme}{host}{''.join(f'/{segment}' for segment in path)}{tail}",
    st.sampled_from(["https://", "http://", "HTTPS://", "www.", "https://www."]),
    hosts,
    st.lists(ascii_words, max_size=2),
    st.one_of(
        st.lists(st.tuples(ascii_words, query_values), min_size=1, max_size=3).map(
            lambda pairs: "/r?" + "&".join(f"{key}={value}" for key, value in pairs)
        ),
        digits(3).map(lambda uid: f"/#uid={uid}"),
        st.builds(lambda token, after: f"/{token}{after}", opaque_tokens, st.sampled_from(["", "/", "/share"])),
        st.uuids().map(lambda uuid: f"/u/{uuid}"),
    ),
)
personal = st.one_of(
    emails.map(lambda text: (text, EMAIL_MARKER)),
    phones.map(lambda text: (text, PHONE_MARKER)),
    token_urls.map(lambda text: (text, LINK_MARKER)),
)

separator_seeds = st.integers(min_value=0, max_value=len(SEPARATORS) ** 8 - 1)
ordinary_texts = st.builds(
    lambda tokens, seed: (join(tokens, separators_between(tokens, seed)), tokens),
    st.lists(ordinary_tokens, min_size=1, max_size=6),
    separator_seeds,
)


@st.composite
def texts_with_personal_data(draw):
    """(text, expected, pieces): personal data between ordinary tokens, and the text it must become."""
    before = draw(st.lists(ordinary_tokens, min_size=1, max_size=2))
    first = draw(personal)
    after = draw(st.lists(st.one_of(ordinary_tokens, personal), min_size=1, max_size=3))
    parts = [(token, None) for token in before] + [first] + [item if isinstance(item, tuple) else (item, None) for item in after]
    # separators are chosen for the text as written; the expected text keeps them around the markers
    separators = separators_between([token for token, _ in parts], draw(separator_seeds))
    text = join([token for token, _ in parts], separators)
    expected = join([marker or token for token, marker in parts], separators)
    return text, expected, parts


def scrubbed(spark, texts: list[str | None]) -> list[str | None]:
    frame = spark.createDataFrame(list(enumerate(texts)), TEXTS_SCHEMA)
    rows = frame.select("case_id", scrub_pii(F.col("text")).alias("scrubbed")).collect()
    by_case = {row.case_id: row.scrubbed for row in rows}
    return [by_case[case_id] for case_id in range(len(texts))]


def report(failures: list[str]) -> str:
    return f"{len(failures)} failing texts, first ones:\n" + "\n".join(failures[:8])


@BATCH
@given(cases=st.lists(ordinary_texts, min_size=150, max_size=200))
def test_ordinary_text_is_returned_unchanged(spark, cases):
    texts = [text for text, _ in cases]
    failures = [f"{text!r} -> {result!r}" for text, result in zip(texts, scrubbed(spark, texts), strict=True) if result != text]
    assert not failures, report(failures)


@BATCH
@given(cases=st.lists(texts_with_personal_data(), min_size=110, max_size=130))
def test_personal_data_becomes_markers_and_ordinary_tokens_stay_in_order(spark, cases):
    texts = [text for text, _, _ in cases]
    failures = []
    for (text, expected, parts), result in zip(cases, scrubbed(spark, texts), strict=True):
        leaked = [token for token, marker in parts if marker and token in result]
        missing = [marker for _, marker in parts if marker and marker not in result]
        if leaked or missing or result != expected:
            failures.append(f"{text!r} -> {result!r}, expected {expected!r}; leaked {leaked}, missing {missing}")
    assert not failures, report(failures)


@settings(BATCH, max_examples=5)
@given(cases=st.lists(st.one_of(st.none(), st.just("")), min_size=1, max_size=20))
def test_null_stays_null_and_empty_stays_empty(spark, cases):
    assert scrubbed(spark, cases) == cases


EXAMPLES = [
    # e-mails
    ("Write to jane.doe+news@mail.example.co.uk today", f"Write to {EMAIL_MARKER} today"),
    ("JANE.DOE@EXAMPLE.COM", EMAIL_MARKER),
    ("jane [at] example [dot] com", EMAIL_MARKER),
    ("contact: jane(at)example(dot)org!", f"contact: {EMAIL_MARKER}!"),
    ("メールはjane＠example.jpまで", f"メールは{EMAIL_MARKER}まで"),
    ("jane at example dot com", "jane at example dot com"),  # unbracketed: kept, see the module docstring
    ("follow @alice@mastodon.social", "follow @alice@mastodon.social"),
    # phones
    ("Appelez le +33 6 12 34 56 78 ou le 06 12 34 56 78.", f"Appelez le {PHONE_MARKER} ou le {PHONE_MARKER}."),
    ("+1 (555) 123-4567 / 555-123-4567 / 555.123.4567", f"{PHONE_MARKER} / {PHONE_MARKER} / {PHONE_MARKER}"),
    ("Tel. +49 30 12345678, +49 (0)30 1234 5678, 030/1234567", f"Tel. {PHONE_MARKER}, {PHONE_MARKER}, {PHONE_MARKER}"),
    ("Llámame al +34 612 345 678", f"Llámame al {PHONE_MARKER}"),
    ("Bel +31 20 123 4567", f"Bel {PHONE_MARKER}"),
    ("電話+81-3-1234-5678まで", f"電話{PHONE_MARKER}まで"),
    ("+44 20 7946 0958 or 0044 20 7946 0958", f"{PHONE_MARKER} or {PHONE_MARKER}"),
    ("(call 06 12 34 56 78)", f"(call {PHONE_MARKER})"),
    ("tel:+33612345678 or 0612345678", f"tel:{PHONE_MARKER} or {PHONE_MARKER}"),
    ("Ruf an: 0151 23456789 · Mi número: 612 34 56 78", f"Ruf an: {PHONE_MARKER} · Mi número: {PHONE_MARKER}"),
    # links
    ("shop https://shop.example/r?ref=jane123&token=abc.", f"shop {LINK_MARKER}."),
    ("http://x.co/#uid=9", LINK_MARKER),
    ("https://t.example/a8F3kLm9Qz2Xv7Bn4R", LINK_MARKER),
    ("(https://x.co/?a=1) or mail jane@example.com.", f"({LINK_MARKER}) or mail {EMAIL_MARKER}."),
    (
        "see https://example.org/about? and www.example.com/blog/post-title",
        "see https://example.org/about? and www.example.com/blog/post-title",
    ),
    # ordinary text
    (
        "In 2024, on 2024-03-10 at 12:30 (10/03/2024): €12,50 or $1,299.99, 12.5%, v3.11.2, top 10, No. 5",
        "In 2024, on 2024-03-10 at 12:30 (10/03/2024): €12,50 or $1,299.99, 12.5%, v3.11.2, top 10, No. 5",
    ),
    (
        "1,000,000 followers · 10.000.000 Follower · 12 345 678 habitants · 2019-2024 · π≈3.14159265",
        "1,000,000 followers · 10.000.000 Follower · 12 345 678 habitants · 2019-2024 · π≈3.14159265",
    ),
    ("¿Qué tal? Ça va 東京 🎉 #tag2024 @jane_doe", "¿Qué tal? Ça va 東京 🎉 #tag2024 @jane_doe"),
    # documented ambiguities
    ("2024 2023", PHONE_MARKER),
    ("612 345 678", "612 345 678"),
    ("build 10.0.19041.1234", f"build {PHONE_MARKER}"),
    ("wa.me/33612345678", "wa.me/33612345678"),
    ("", ""),
    (None, None),
]


def test_hand_written_examples(spark):
    results = scrubbed(spark, [text for text, _ in EXAMPLES])
    failures = [
        f"{text!r} -> {result!r}, expected {expected!r}"
        for (text, expected), result in zip(EXAMPLES, results, strict=True)
        if result != expected
    ]
    assert not failures, report(failures)


def test_with_scrubbed_profile_text_scrubs_only_the_profile_columns(spark):
    schema = "account_id string, display_name string, bio string"
    frame = spark.createDataFrame(
        [("jane@example.com", "Jane 06 12 34 56 78", "mail jane@example.com"), ("2", None, None), ("3", "", "2024")],
        schema,
    )
    expected = spark.createDataFrame(
        [("jane@example.com", f"Jane {PHONE_MARKER}", f"mail {EMAIL_MARKER}"), ("2", None, None), ("3", "", "2024")],
        schema,
    )
    assertDataFrameEqual(with_scrubbed_profile_text(frame), expected)


def test_with_scrubbed_profile_text_skips_absent_columns(spark):
    frame = spark.createDataFrame([("1", "www.x.co/?ref=jane")], "account_id string, bio string")
    expected = spark.createDataFrame([("1", LINK_MARKER)], "account_id string, bio string")
    assertDataFrameEqual(with_scrubbed_profile_text(frame), expected)

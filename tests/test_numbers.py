"""Numbers compared across French and English notations (summarizer.numbers)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summarizer.numbers import canonical, mentions, missing_numbers

EXAMPLES = int(os.environ.get("SUMMARIZER_FUZZ_EXAMPLES", "300"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None)


def forms(text: str, language: str) -> list[set[str]]:
    return [set(mention.forms) for mention in mentions(text, language)]


@pytest.mark.parametrize(
    ("french", "english"),
    [
        ("Il pèse 1 000,5 kg.", "It weighs 1,000.5 kg."),
        ("Il pèse 1 000,5 kg.", "It weighs 1000.5 kg."),
        ("Il pèse 1\u202f000,5 kg.", "It weighs 1,000.5 kg."),
        ("Il pèse 1\u00a0000,5 kg.", "It weighs 1,000.5 kg."),
        ("Il pèse 1.000,5 kg.", "It weighs 1,000.5 kg."),
        ("Le chômage touche 55 % des jeunes.", "Unemployment affects 55% of young people."),
        ("Elle est arrivée 3e.", "She came 3rd."),
        ("Elle est arrivée 3ème.", "She came 3rd."),
        ("Le 1er mai est férié.", "The 1st of May is a holiday."),
        ("Elle est la 1re à parler.", "She is the 1st to speak."),
        ("Le 21e siècle.", "The 21st century."),
        ("En 2019, la ville a voté.", "In 2019, the city voted."),
        ("Les années 1990 ont été dures.", "The 1990s were hard."),
        ("Un Airbus A380 a atterri.", "An Airbus A380 landed."),
        ("Le sommet du G7 s'ouvre.", "The G7 summit opens."),
        ("Rendez-vous à 14h30.", "Meet at 14:30."),
        ("Rendez-vous à 14h30.", "Meet at 2:30 pm."),
        ("Rendez-vous à 14 h 30.", "Meet at 2:30 p.m."),
        ("Rendez-vous à 20h45.", "Meet at 8.45pm."),
        ("Rendez-vous à 14h.", "Meet at 2 pm."),
        ("Rendez-vous à 14 heures.", "Meet at 2pm."),
        ("Ouverture à 9 h.", "Opening at 9 am."),
        ("Il a attendu 3h.", "He waited 3 hours."),
        ("Départ à 00h15.", "Departure at 12:15 a.m."),
        ("Il manque 1,5 million d'euros.", "1.5 million euros are missing."),
        ("Il coûte 1.500 euros.", "It costs 1,500 euros."),
        ("Il y avait 10 000 manifestants.", "There were 10,000 demonstrators."),
        ("Il a 1.000.000 d'abonnés.", "He has 1,000,000 subscribers."),
        ("Un ticket coûte 0,50 euro.", "A ticket costs 0.5 euro."),
        ("Un ticket coûte 3,50 euros.", "A ticket costs 3.5 euros."),
        ("La hausse est de +3,5 %.", "The rise is 3.5%."),
        ("Appelez le 01 23 45 67 89.", "Call 01 23 45 67 89."),
        ("La saison 2019-2020 est finie.", "The 2019-2020 season is over."),
        ("La Covid-19 recule.", "Covid-19 is receding."),
        ("Il a ٣٥ ans.", "He is 35."),
        ("Version 2.0.1 publiée.", "Version 2.0.1 released."),
        ("Le 12.03.2024 à midi.", "On 12.03.2024 at noon."),
    ],
)
def test_the_same_number_in_french_and_english_notation_matches(french, english):
    assert mentions(french, "fr")
    assert missing_numbers(french, "fr", english) == []


@pytest.mark.parametrize(
    ("french", "english", "missing"),
    [
        ("Il pèse 1,5 kg.", "It weighs 15 kg.", ["1,5"]),
        # A decimal comma in French, a thousands comma in English: 1.5 against 1500.
        ("Il pèse 1,500 kg.", "It weighs 1,500 kg.", ["1,500"]),
        ("Rendez-vous à 14h30.", "Meet at 4:30.", ["14h30"]),
        ("Rendez-vous à 14h30.", "Meet at 2:45 pm.", ["14h30"]),
        ("Il y avait 2 450 manifestants.", "There were 2,540 demonstrators.", ["2 450"]),
        ("La hausse est de 3,5 %.", "The rise is 5%.", ["3,5 %"]),
        ("On compte 12 morts et 40 blessés.", "There are 12 dead and many injured.", ["40"]),
        ("Le 1er et le 3e sont arrivés.", "The first and 3rd arrived.", ["1er"]),
        ("Le 1er et le 1er encore.", "The first, again.", ["1er"]),
        ("Version 2.0.1 publiée.", "Version 2.1 released.", ["2.0.1"]),
    ],
)
def test_a_changed_or_dropped_number_is_missing(french, english, missing):
    assert missing_numbers(french, "fr", english) == missing


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1,500", "en", [{"1500"}]),
        ("1,500", "fr", [{"1.5"}]),
        ("1.500", "fr", [{"1500"}]),
        ("1.500", "en", [{"1.5"}]),
        # Read leniently: a comma followed by other than three digits is decimal anywhere.
        ("3,5", "en", [{"3.5"}]),
        ("3.5", "fr", [{"3.5"}]),
        ("007", "en", [{"7"}]),
        ("1,000,000.25", "en", [{"1000000.25"}]),
        ("1.000.000,25", "de", [{"1000000.25"}]),
        ("12,34,56", "en", [{"12,34,56"}]),
        # A dot is a time separator only before am/pm, and minutes have two digits.
        ("3.50", "en", [{"3.5"}]),
        ("2.5pm", "en", [{"2.5"}]),
        ("14h5", "fr", [{"14"}, {"5"}]),
        ("25h", "fr", [{"25"}]),
        ("14:30:15", "fr", [{"t2:30"}, {"15"}]),
        ("14 hommes", "fr", [{"14"}]),
        ("2 amendments", "en", [{"2"}]),
        ("١٤:٣٠", "ar", [{"t2:30"}]),
        ("١ ٠٠٠,٥", "fr", [{"1000.5"}]),
        # A number of the year and one of people, not 2 019 300.
        ("en 2019 300 personnes", "fr", [{"2019"}, {"300"}]),
        # Thousands are grouped with one kind of space all along.
        ("1\u202f164\u202f154 990,5", "fr", [{"1164154"}, {"990.5"}]),
        ("10 000 000", "fr", [{"10000000"}]),
        ("-5 degrés", "fr", [{"5"}]),
    ],
)
def test_forms(text, language, expected):
    assert forms(text, language) == expected


def test_a_time_is_one_mention_and_its_digits_no_other():
    assert [m.text for m in mentions("De 14h30 à 16 h, puis 18:05.", "fr")] == [
        "14h30",
        "16 h",
        "18:05",
    ]
    assert [m.text for m in mentions("From 2:30 p.m. to 4pm, then 6.15 am.", "en")] == [
        "2:30 p.m.",
        "4pm",
        "6.15 am",
    ]


def test_a_time_without_minutes_also_matches_its_hour_as_a_number():
    assert forms("3h", "fr") == [{"t3:00", "3"}]
    assert forms("15:00", "en") == [{"t3:00"}]


def test_mention_texts_keep_the_letters_and_percent_sign_around_them():
    texts = [m.text for m in mentions("Un A380, le 3e, 55 % et les années 1990s.", "fr")]
    assert texts == ["A380", "3e", "55 %", "1990s"]


@pytest.mark.parametrize("text", ["", "   ", "Pas un seul nombre ici.", "Ça, c'est tout."])
def test_text_without_numbers_has_no_mentions(text):
    assert mentions(text, "fr") == []
    assert missing_numbers(text, "fr", "") == []


def test_an_empty_output_misses_every_number_once():
    assert missing_numbers("12 sur 12, puis 3,5.", "fr", "") == ["12", "3,5"]


def test_numbers_only_in_the_output_are_not_missing():
    assert missing_numbers("Il est arrivé.", "fr", "He arrived at 3 pm in 2024.") == []


def test_a_phone_number_is_read_as_its_pairs_of_digits():
    assert forms("01 23 45 67 89", "fr") == [{"1"}, {"23"}, {"45"}, {"67"}, {"89"}]


def test_a_range_is_two_numbers_not_a_negative_one():
    assert forms("2019-2020", "fr") == [{"2019"}, {"2020"}]


def french_notation(whole: int, fraction: str, style: int) -> str:
    grouped = f"{whole:,}"
    integer = [
        str(whole),
        grouped.replace(",", " "),
        grouped.replace(",", "\u00a0"),
        grouped.replace(",", "\u202f"),
        grouped.replace(",", "."),
    ][style]
    return f"{integer},{fraction}" if fraction else integer


def english_notation(whole: int, fraction: str, style: int) -> str:
    integer = f"{whole:,}" if style % 2 else str(whole)
    return f"{integer}.{fraction}" if fraction else integer


@PROPERTY
@given(
    whole=st.integers(min_value=0, max_value=10**12),
    fraction=st.text(alphabet="0123456789", max_size=6),
    french_style=st.integers(min_value=0, max_value=4),
    english_style=st.integers(min_value=0, max_value=1),
)
def test_any_number_in_french_notation_matches_it_in_english_notation(
    whole, fraction, french_style, english_style
):
    french = f"Il y en a {french_notation(whole, fraction, french_style)} cette année."
    english = f"There are {english_notation(whole, fraction, english_style)} this year."
    assert missing_numbers(french, "fr", english) == []
    value = format(Decimal(f"{whole}.{fraction or 0}").normalize(), "f")
    assert forms(french, "fr") == [{value}]


@PROPERTY
@given(
    whole=st.text(alphabet="0123456789", min_size=1, max_size=15),
    fraction=st.text(alphabet="0123456789", max_size=8),
)
def test_canonical_writes_a_value_as_decimal_normalize_does(whole, fraction):
    expected = format(Decimal(f"{whole}.{fraction or 0}").normalize(), "f")
    assert canonical(whole, fraction) == expected


def test_a_number_the_source_says_twice_must_be_there_twice():
    assert missing_numbers("3 morts et 3 blessés", "fr", "3 dead and 5 injured") == ["3"]
    assert missing_numbers("3 morts et 3 blessés", "fr", "3 dead and 3 injured") == []


@pytest.mark.parametrize(
    ("source", "output", "missing"),
    [
        ("2,5 milliards d'euros", "2.5 billion euros", []),
        ("2,5 milliards d'euros", "2.5 million euros", ["2,5 milliards"]),
        ("1 500 000 habitants", "1.5 million inhabitants", []),
        ("3 millions de votes", "3 million votes", []),
        ("1,2 Md€ de dette", "1.2bn euros of debt", []),
        ("un billion d'euros, soit 1 billion", "a trillion euros, 1 trillion", []),
        ("1 billion", "1 billion", ["1 billion"]),  # a French billion is a trillion
        ("Il y a 3 ans", "3 years ago", []),
    ],
)
def test_large_number_words_multiply_their_figure_in_each_language(source, output, missing):
    assert missing_numbers(source, "fr", output) == missing

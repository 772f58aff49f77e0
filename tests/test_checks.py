"""Per-segment translation checks (summarizer.checks) and summary claims
(summarizer.claims)."""

from __future__ import annotations

import pytest

from summarizer.checks import (
    PROBLEMS,
    Thresholds,
    check_translation,
    has_repetition,
    in_wrong_language,
    is_copy,
    length_ratio_ok,
    needs_language_check,
)
from summarizer.claims import Claim, unsupported_claims
from summarizer.language import detect_languages

THRESHOLDS = Thresholds()

# Ordinary French news sentences and sound English translations of them, written for these
# tests: none of them may raise any problem.
SOUND_PAIRS = [
    (
        "Il a annoncé 2 milliards pour la santé, 3 milliards pour l'école, 1 milliard pour "
        "la culture et 4 milliards pour la défense.",
        "He announced 2 billion for health, 3 billion for schools, 1 billion for culture "
        "and 4 billion for defence.",
    ),
    (
        "Il fera 30 degrés lundi, 32 degrés mardi, 31 degrés mercredi et 29 degrés jeudi.",
        "It will be 30 degrees on Monday, 32 degrees on Tuesday, 31 degrees on Wednesday "
        "and 29 degrees on Thursday.",
    ),
    (
        "Le conseil municipal a voté mardi soir le budget de l'année prochaine.",
        "The town council voted on Tuesday evening for next year's budget.",
    ),
    (
        "Selon la préfecture, 12 000 personnes ont manifesté samedi à Marseille.",
        "According to the prefecture, 12,000 people demonstrated in Marseille on Saturday.",
    ),
    (
        "Le taux de chômage a reculé de 0,3 point au troisième trimestre, à 7,4 %.",
        "The unemployment rate fell by 0.3 points in the third quarter, to 7.4%.",
    ),
    (
        "La réunion débutera à 14h30 à l'hôtel de ville.",
        "The meeting will begin at 2:30 pm at the town hall.",
    ),
    (
        "« Nous ne céderons pas », a déclaré la ministre devant les députés.",
        '"We will not give in," the minister told the deputies.',
    ),
    ("Il a plu toute la journée.", "It rained all day."),
    ("Merci.", "Thank you."),
    (
        "Emmanuel Macron et Olaf Scholz se retrouveront le 3 mai à Berlin.",
        "Emmanuel Macron and Olaf Scholz will meet in Berlin on 3 May.",
    ),
    (
        "Le projet de loi, adopté en première lecture, doit encore passer devant le Sénat.",
        "The bill, adopted at first reading, still has to go before the Senate.",
    ),
    (
        "Les prix de l'énergie ont augmenté de 15 % en un an, selon l'Insee.",
        "Energy prices rose by 15% in one year, according to Insee.",
    ),
    (
        "La SNCF prévoit trois trains sur cinq en moyenne jeudi.",
        "SNCF expects three out of five trains on average on Thursday.",
    ),
    (
        "L'entreprise a annoncé la suppression de 1 200 postes d'ici à 2026.",
        "The company announced the elimination of 1,200 jobs by 2026.",
    ),
    (
        "Il faudra avancer pas à pas, encore et encore, pour convaincre les habitants.",
        "We will have to move step by step, again and again, to convince the residents.",
    ),
    (
        "Les pompiers sont intervenus vers 3h du matin dans un immeuble du centre-ville.",
        "Firefighters intervened at around 3 a.m. in a building in the city centre.",
    ),
    (
        "La Banque centrale européenne a relevé ses taux de 0,25 point jeudi.",
        "The European Central Bank raised its rates by 0.25 points on Thursday.",
    ),
    (
        "Le match s'est terminé sur le score de 2 à 1 après prolongation.",
        "The match ended with a score of 2 to 1 after extra time.",
    ),
    (
        "Très, très peu d'électeurs se sont déplacés dimanche dans cette commune rurale.",
        "Very, very few voters turned out on Sunday in this rural municipality.",
    ),
    (
        "La température pourrait atteindre 38 degrés dans le Sud-Ouest.",
        "The temperature could reach 38 degrees in the southwest.",
    ),
    (
        "Le gouvernement a débloqué 1,5 milliard d'euros pour les hôpitaux.",
        "The government has released 1.5 billion euros for hospitals.",
    ),
    (
        "Pour le syndicat, la réforme des retraites reste « injuste et brutale ».",
        'For the union, the pension reform remains "unfair and brutal".',
    ),
    (
        "Le Tour de France partira de Lille le 1er juillet.",
        "The Tour de France will start from Lille on 1st July.",
    ),
    (
        "Le ministre de l'Intérieur, le préfet de police et le maire de Paris ont visité "
        "le quartier.",
        "The Minister of the Interior, the Prefect of Police and the Mayor of Paris visited "
        "the neighbourhood.",
    ),
    (
        "Les écoles, les collèges et les lycées resteront fermés lundi.",
        "Schools, colleges and high schools will remain closed on Monday.",
    ),
    (
        "Le procès s'ouvrira le 12 mars devant la cour d'assises du Rhône.",
        "The trial will open on 12 March before the Rhône assize court.",
    ),
    (
        "Plus de 40 % des Français déclarent avoir réduit leur consommation de viande.",
        "More than 40% of French people say they have reduced their meat consumption.",
    ),
    (
        "Le navire, long de 300 mètres, transportait 2 500 conteneurs.",
        "The ship, 300 metres long, was carrying 2,500 containers.",
    ),
    ("Oui, oui, nous y allons.", "Yes, yes, we're going."),
    (
        "La police a interpellé deux suspects, puis un troisième dans la soirée.",
        "Police arrested two suspects, then a third in the evening.",
    ),
    (
        "L'Union européenne et le Royaume-Uni ont signé un accord sur la pêche.",
        "The European Union and the United Kingdom have signed a fishing agreement.",
    ),
    (
        "Le vaccin, autorisé en 2021, a été administré à plus de 50 millions de personnes.",
        "The vaccine, authorised in 2021, has been given to more than 50 million people.",
    ),
    (
        "Lors de la COP28, les pays ont promis de tripler les énergies renouvelables.",
        "At COP28, countries pledged to triple renewable energy.",
    ),
    (
        "Le Premier ministre a répondu aux questions des députés pendant deux heures.",
        "The Prime Minister answered questions from MPs for two hours.",
    ),
    (
        "Les ventes de voitures électriques ont bondi de 47 % en France en 2023.",
        "Sales of electric cars jumped by 47% in France in 2023.",
    ),
    (
        "La grève, la troisième en un mois, a paralysé les transports, disent-ils.",
        "The strike, the third in a month, paralysed transport, they say.",
    ),
    (
        "Jean-Luc Mélenchon, Marine Le Pen et Éric Zemmour étaient présents.",
        "Jean-Luc Mélenchon, Marine Le Pen and Éric Zemmour were present.",
    ),
    (
        "Paris Saint-Germain - Olympique de Marseille : 2-1.",
        "Paris Saint-Germain - Olympique de Marseille: 2-1.",
    ),
    (
        "Le rapport recommande de renforcer les contrôles, de former les agents, de mieux "
        "payer les agents et de recruter davantage d'agents dans les zones rurales.",
        "The report recommends stepping up checks, training staff, paying staff better "
        "and recruiting more staff in rural areas.",
    ),
]


@pytest.mark.parametrize(("source", "output"), SOUND_PAIRS)
def test_a_sound_translation_has_no_problem(source, output):
    detected = ("en", 0.99) if needs_language_check(output) else None
    problems = check_translation(
        source,
        output,
        -0.4,
        source_language="fr",
        target_language="en",
        thresholds=THRESHOLDS,
        detected=detected,
    )
    assert problems == []


def test_with_the_real_detector_sound_outputs_pass_and_sources_left_as_is_do_not():
    outputs = [output for _, output in SOUND_PAIRS if needs_language_check(output)]
    assert not [
        (output, detection)
        for output, detection in zip(outputs, detect_languages(outputs), strict=True)
        if in_wrong_language(detection, "en")
    ]
    sources = [source for source, _ in SOUND_PAIRS]
    detections = detect_languages(sources)
    passed = [
        source
        for source, detection in zip(sources, detections, strict=True)
        if "untranslated"
        not in check(source, source, detected=detection if needs_language_check(source) else None)
    ]
    # A one-word line, and one of names and a score, are rightly the same in English.
    assert passed == ["Merci.", "Paris Saint-Germain - Olympique de Marseille : 2-1."]


def check(source, output, confidence=-0.4, detected=None):
    return check_translation(
        source,
        output,
        confidence,
        source_language="fr",
        target_language="en",
        thresholds=THRESHOLDS,
        detected=detected,
    )


SOURCE = "Le conseil municipal a voté mardi soir un budget de 12,5 millions d'euros."
GOOD = "The town council voted on Tuesday evening for a budget of 12.5 million euros."


def test_the_fine_counterpart_of_each_failure_has_no_problem():
    assert check(SOURCE, GOOD, detected=("en", 0.99)) == []


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        (
            "The town council voted on Tuesday evening for a budget of many million euros.",
            "numbers",
        ),
        ("The town council voted on Tuesday evening for a budget of 125 million euros.", "numbers"),
        (
            "The town council voted on Tuesday evening for the the the budget of 12.5 million.",
            "repetition",
        ),
        (
            "The council voted for a budget of 12.5 million euros, euros, euros, euros.",
            "repetition",
        ),
        (
            "The council of the city of the city of the city voted 12.5 million euros.",
            "repetition",
        ),
        (SOURCE, "untranslated"),
        ("The council voted 12.5 million.", "length"),
        (
            GOOD + " The mayor then thanked everyone who had worked on it for months and months.",
            "length",
        ),
    ],
)
def test_each_check_catches_its_failure(output, problem):
    assert check(SOURCE, output) == [problem]


def test_a_low_confidence_is_reported_and_a_missing_one_is_not():
    assert check(SOURCE, GOOD, confidence=-2.0) == ["confidence"]
    assert check(SOURCE, GOOD, confidence=-1.5) == []
    assert check(SOURCE, GOOD, confidence=None) == []


def test_problems_come_in_report_order():
    problems = check(SOURCE, "le le le", confidence=-3.0, detected=("fr", 0.99))
    assert problems == ["numbers", "repetition", "untranslated", "length", "confidence"]
    assert list(PROBLEMS) == problems


def test_a_detected_other_language_is_untranslated_only_when_the_detector_is_sure():
    assert check(SOURCE, GOOD, detected=("fr", 0.95)) == ["untranslated"]
    assert check(SOURCE, GOOD, detected=("fr", 0.6)) == []
    assert check(SOURCE, GOOD, detected=("en", 0.95)) == []
    assert in_wrong_language(("de", 0.9), "en")
    assert not in_wrong_language(("de", 0.89), "en")
    assert not in_wrong_language(None, "en")


def test_a_copy_is_untranslated_unless_the_detector_is_sure_it_is_in_the_target_language():
    quote = "We will never give up on our friends."
    assert check(quote, quote, detected=("en", 0.97)) == []
    assert check(quote, quote, detected=("en", 0.6)) == ["untranslated"]
    assert check(quote, quote) == ["untranslated"]
    assert check(SOURCE, SOURCE, detected=("fr", 0.97)) == ["untranslated"]


@pytest.mark.parametrize(
    ("output", "checked"),
    [
        ("The mayor resigned on Monday.", True),
        ("The mayor resigned.", False),
        ("Emmanuel Macron, 12 March 2024.", False),
        ("Yes - 12 000 - 3 : 4 , 5", False),
        ("", False),
    ],
)
def test_the_language_is_checked_from_four_words_with_letters(output, checked):
    assert needs_language_check(output) is checked


@pytest.mark.parametrize(
    ("source", "output"),
    [
        (SOURCE, SOURCE),
        (SOURCE, SOURCE.upper()),
        (SOURCE, SOURCE.replace(",", "").replace("'", " ")),
        # Nearly the source: one word changed.
        (SOURCE, SOURCE.replace("mardi", "lundi")),
        ("Le maire a démissionné hier soir.", "Le maire a démissionné hier soir."),
    ],
)
def test_a_copied_source_is_a_copy(source, output):
    assert is_copy(source, output)


@pytest.mark.parametrize(
    ("source", "output"),
    [
        (SOURCE, GOOD),
        # Fewer than four words with letters: names and dates are rightly copied.
        ("Emmanuel Macron, 12 mars 2024.", "Emmanuel Macron, 12 mars 2024."),
        ("Le maire démissionne.", "Le maire démissionne."),
        # Names and numbers only, however many.
        (
            "Jean-Luc Mélenchon, Marine Le Pen et Éric Zemmour, 2022.",
            "Jean-Luc Mélenchon, Marine Le Pen and Éric Zemmour, 2022.",
        ),
        (
            "Paris Saint-Germain - Olympique de Marseille",
            "Paris Saint-Germain - Olympique de Marseille",
        ),
        (SOURCE, ""),
    ],
)
def test_a_translation_or_a_rightly_copied_line_is_not_a_copy(source, output):
    assert not is_copy(source, output)


def test_the_length_ratio_is_checked_only_for_sources_of_20_characters():
    short = "Il pleut."
    assert length_ratio_ok(short, "It has been raining heavily all day long.", THRESHOLDS)
    long = "Il pleut depuis ce matin."
    assert length_ratio_ok(long, "It has been raining since this morning.", THRESHOLDS)
    assert not length_ratio_ok(long, "Rain.", THRESHOLDS)
    assert not length_ratio_ok(long, long * 3, THRESHOLDS)
    assert length_ratio_ok(long, "x" * 50, THRESHOLDS)  # exactly 2.0
    assert length_ratio_ok(long, "  Raining since morning.  ", THRESHOLDS)


def test_an_empty_output_of_a_translatable_source_is_always_too_short():
    assert not length_ratio_ok("Oui.", "", THRESHOLDS)
    assert not length_ratio_ok("Oui.", "   ", THRESHOLDS)
    assert length_ratio_ok("...", "", THRESHOLDS)
    assert check("Oui.", "") == ["length"]


def test_the_length_thresholds_are_the_callers():
    strict = Thresholds(min_length_ratio=0.9, max_length_ratio=1.1)
    assert not length_ratio_ok(SOURCE, GOOD[:50], strict)
    assert length_ratio_ok(SOURCE, GOOD[:50], THRESHOLDS)


@pytest.mark.parametrize(
    "output",
    [
        "He said that the the the plan was ready.",
        "The decision of the State of the State of the State is final.",
        "The plan is ready, he said, and and and more.",
        "We will never give up, never give up, never give up.",
        "It ended in a blablablabla of voices.",
        "The minister spoke about the crisis, no no no.",
        "The crisis, he said, the crisis of the crisis and the crisis again, the crisis.",
    ],
)
def test_a_looping_output_is_a_repetition(output):
    assert has_repetition("Le ministre a parlé de la crise hier.", output)


@pytest.mark.parametrize(
    ("source", "output"),
    [
        ("Il a crié : non, non, non.", "He shouted: no, no, no."),
        ("« Blablablabla », a-t-il dit.", '"Blablablabla," he said.'),
        ("Il a dit que c'était ça.", "He said that that was it."),
        ("Il a 1 000 000 000 d'euros.", "He has 1,000,000,000 euros."),
        ("Le chiffre est de 1 milliard.", "The figure is 1,000,000,000."),
        ("Macron, Macron et encore Macron.", "Macron, Macron and Macron again, Macron."),
        ("Ha ! Ha !", "Ha! Ha!"),
        ("", ""),
    ],
)
def test_repetitions_the_source_has_too_or_without_letters_are_not_loops(source, output):
    assert not has_repetition(source, output)


def test_a_repeated_stretch_has_three_characters_at_least_as_in_opusfilter():
    assert has_repetition("Il a dit oui.", "He said yes yes yes to them.")
    assert not has_repetition("Il a dit non.", "He said no no no to them.")


def test_a_word_written_four_times_is_a_loop_only_against_its_source():
    output = "The reform, the reform, as they call it, and the reform: that reform is done."
    assert has_repetition("Cette réforme est faite.", output)
    assert not has_repetition("La reform, la reform, la reform, la reform.", output)


# --- summary claims ---------------------------------------------------------------------

ARTICLE = (
    "President Emmanuel Macron met German Chancellor Olaf Scholz in Berlin on Monday. "
    "The European Central Bank raised its key rate by 0.25 points to 4.5%. "
    "The plan will cost 1.5 million euros, according to the Ministry of Finance. "
    "NATO and the EU welcomed the agreement signed at 2:30 pm."
)


@pytest.mark.parametrize(
    "summary",
    [
        "President Macron met Olaf Scholz in Berlin.",
        "The plan will cost 1.5 million euros, the Ministry of Finance said.",
        "The European Central Bank raised its rate to 4.5%.",
        "In Berlin, Macron and Scholz met. NATO welcomed it, as did the EU.",
        "The agreement was signed at 14:30.",
        "It is Macron's plan, and it costs 1.5 million.",
        "Yesterday, I think, the plan was signed.",
        'Officials said: "Everything is fine." Nothing else was said.',
        "",
    ],
)
def test_a_supported_summary_has_no_unsupported_claim(summary):
    assert unsupported_claims(summary, ARTICLE) == []


def test_an_invented_number_and_an_invented_name_are_claims():
    summary = "President Macron met Giorgia Meloni in Berlin. The plan will cost 2.5 million euros."
    assert unsupported_claims(summary, ARTICLE) == [
        Claim("Giorgia Meloni", "name"),
        Claim("2.5 million", "number"),
    ]


def test_a_name_is_supported_only_by_each_of_its_words_in_any_case():
    assert unsupported_claims("They met President Scholz.", ARTICLE) == []
    assert unsupported_claims("They met Chancellor Merkel.", ARTICLE) == [
        Claim("Chancellor Merkel", "name")
    ]
    assert unsupported_claims("They met the Ministry of Health.", ARTICLE) == [
        Claim("Health", "name")
    ]
    # Titles change case in summaries: "the president" supports "President Macron".
    assert unsupported_claims("They met President Macron.", ARTICLE.lower()) == []
    assert unsupported_claims("They met the Emmanuel Centrale.", ARTICLE.lower()) == [
        Claim("Emmanuel Centrale", "name")
    ]


def test_acronyms_are_names_and_single_letters_are_not():
    assert unsupported_claims("The plan, backed by the IMF, was signed.", ARTICLE) == [
        Claim("IMF", "name")
    ]
    assert unsupported_claims("Then I said it was Plan B.", ARTICLE) == []  # "plan": there
    assert unsupported_claims("Then I said it was Option A.", ARTICLE) == [Claim("Option", "name")]


def test_each_claim_is_listed_once_in_order_of_appearance():
    summary = "The WHO said 7 cases. Later the WHO said 7 more cases, then 9."
    assert unsupported_claims(summary, ARTICLE) == [
        Claim("WHO", "name"),
        Claim("7", "number"),
        Claim("9", "number"),
    ]


def test_numbers_glued_to_letters_are_numbers_not_names():
    assert unsupported_claims("They flew an A380 to COP28.", ARTICLE) == [
        Claim("A380", "number"),
        Claim("COP28", "number"),
    ]


def test_a_comma_ends_a_name():
    assert unsupported_claims("They went to Rome, Berlin and Madrid.", ARTICLE) == [
        Claim("Rome", "name"),
        Claim("Madrid", "name"),
    ]

import pytest

from summarizer.segment import is_translatable, pack_chunks, split_sentences, split_to_fit


def words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "M. Dupont est arrivé hier. Il repart demain.",
            ["M. Dupont est arrivé hier.", "Il repart demain."],
        ),
        (
            "La ville fut fondée en 52 av. J.-C. selon les historiens. Elle a grandi ensuite.",
            [
                "La ville fut fondée en 52 av. J.-C. selon les historiens.",
                "Elle a grandi ensuite.",
            ],
        ),
        (
            "Mme Leroy et le Dr. Morel ont parlé. Voir p. 12 et cf. chap. 3 pour le détail.",
            ["Mme Leroy et le Dr. Morel ont parlé.", "Voir p. 12 et cf. chap. 3 pour le détail."],
        ),
        (
            "Il a écrit à J. Bernard. Celui-ci n'a pas répondu !",
            ["Il a écrit à J. Bernard.", "Celui-ci n'a pas répondu !"],
        ),
        (
            "Vraiment ? Oui. Le taux est de 2,5 %.",
            ["Vraiment ?", "Oui.", "Le taux est de 2,5 %."],
        ),
    ],
)
def test_french_sentences_are_not_split_after_abbreviations(paragraph, expected):
    assert split_sentences(paragraph, "fr") == expected


def test_english_sentences_split_at_full_stops():
    text = "Mr. Smith arrived in Paris. He left on Tuesday. It rained."
    assert split_sentences(text, "en") == [
        "Mr. Smith arrived in Paris.",
        "He left on Tuesday.",
        "It rained.",
    ]


@pytest.mark.parametrize("segment", ["", "   ", "...", "« — »", "!?", "*"])
def test_punctuation_only_segments_are_not_translatable(segment):
    assert not is_translatable(segment)


@pytest.mark.parametrize("segment", ["Oui.", "2024", "Été"])
def test_segments_with_letters_or_digits_are_translatable(segment):
    assert is_translatable(segment)


def test_split_to_fit_keeps_every_word_within_the_limit():
    text = " ".join(f"mot{i}" for i in range(100)) + ", fin; encore des mots ici"
    pieces = split_to_fit(text, 7, words)
    assert all(words(piece) <= 7 for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_split_to_fit_cuts_an_unbroken_word_by_characters():
    word = "x" * 100
    pieces = split_to_fit(word, 10, len)
    assert all(len(piece) <= 10 for piece in pieces)
    assert "".join(pieces) == word


def test_split_to_fit_leaves_short_text_whole():
    assert split_to_fit("court texte", 5, words) == ["court texte"]


def test_pack_chunks_fills_chunks_in_order_without_exceeding_the_limit():
    sentences = [f"phrase numéro {i} ici." for i in range(30)]
    chunks = pack_chunks(sentences, 12, words)
    assert all(words(chunk) <= 12 for chunk in chunks)
    assert " ".join(chunks) == " ".join(sentences)
    assert len(chunks) == 10


def test_split_to_fit_terminates_when_one_character_is_over_the_limit():
    # Each character counts 2 (a piece and an end-of-sentence token) against a limit of 1.
    pieces = split_to_fit("abc", 1, lambda text: len(text) + 1)
    assert pieces == ["a", "b", "c"]

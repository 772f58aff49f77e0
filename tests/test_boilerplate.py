"""Scraping debris is removed, and no article sentence ever is."""

import pytest

from summarizer import boilerplate
from summarizer.documents import parse_text, split_paragraphs
from tests.articles import (
    ENGLISH_ARTICLE,
    FRENCH_ARTICLE,
    FRENCH_ARTICLE_WITH_ENGLISH_QUOTE,
    SCRAPED_ENGLISH_ARTICLE,
    SCRAPED_ENGLISH_DEBRIS,
    long_french_article,
)

# (line, kind): one or more examples of every kind of debris, in English and French.
DEBRIS = [
    ("You have 55% of this article left to read. The rest is reserved for subscribers.", "paywall"),
    ("Il vous reste 71 % de cet article à lire. La suite est réservée aux abonnés.", "paywall"),
    ("La suite est réservée aux abonnés.", "paywall"),
    ("Cet article est réservé aux abonnés", "paywall"),
    ("Abonnez-vous pour lire la suite de l’article", "paywall"),
    ("Subscribe to continue reading.", "paywall"),
    ("This article is available to subscribers only.", "paywall"),
    (
        "Zenith Theme License is not validated, Go to the theme options page to validate "
        "the license",
        "theme notice",
    ),
    ("Back to top button", "navigation"),
    ("Back to top ↑", "navigation"),
    ("Retour en haut de la page", "navigation"),
    ("Haut de page", "navigation"),
    ("Skip to content", "navigation"),
    ("Gn headline FR", "navigation"),
    ("Share this article", "share"),
    ("Partager sur Facebook", "share"),
    ("Facebook Twitter LinkedIn WhatsApp Email", "share"),
    ("Follow us on Instagram", "share"),
    ("Suivez-nous sur X", "share"),
    ("Sign up for our daily newsletter", "newsletter"),
    ("Inscrivez-vous à notre newsletter pour recevoir l’essentiel de l’actualité", "newsletter"),
    ("Abonnez-vous", "newsletter"),
    ("Read also: Floods in the north, a town counts the cost", "teaser"),
    ("Read more", "teaser"),
    ("À lire aussi : Le budget de la ville en hausse", "teaser"),
    ("Lire aussi | Les écoles rouvrent lundi", "teaser"),
    ("Lire : Que deviennent les vieux téléphones ?", "teaser"),
    ("Sur le même sujet", "teaser"),
    ("This website uses cookies to improve your experience.", "cookies"),
    ("Ce site utilise des cookies pour mesurer son audience.", "cookies"),
    ("En poursuivant votre navigation, vous acceptez l'utilisation de cookies.", "cookies"),
    ("Accept all cookies", "cookies"),
    ("Tout accepter", "cookies"),
    ("Publicité", "advertising"),
    ("ADVERTISEMENT", "advertising"),
    ("Please enable JavaScript to view this page.", "javascript"),
]

# Article sentences (all invented) that share words with debris and must stay.
LOOKALIKES = [
    "Read more books, the minister urged parents during her visit to the library.",
    "The regulator found that the site uses cookies without asking for consent.",
    "Ce site utilisait des cookies sans le consentement des lecteurs, selon la CNIL.",
    "Subscribers to the local paper were told on Monday that prices would rise.",
    "Les abonnés du réseau de chaleur recevront une facture plus élevée cet hiver.",
    "Share prices fell sharply on Tuesday after the announcement.",
    "Partager le pouvoir n’a jamais été facile pour cette majorité, a-t-il dit.",
    "You have 30 days to appeal the decision, the court told the company.",
    "Back to the top of the league, the club celebrated late into the night.",
    "Lire aussi les rapports de la Cour des comptes permet de mieux comprendre.",
    "Advertising revenue fell by a third last year, the group said.",
    "La publicité pour les jeux d’argent sera encadrée dès janvier.",
    "The theme of the festival is the sea, its organisers said.",
    "Related to the mayor by marriage, he denied any conflict of interest.",
    "Follow the river north for ten kilometres and you reach the dam.",
]


@pytest.mark.parametrize(("line", "kind"), DEBRIS, ids=[line for line, _ in DEBRIS])
def test_each_kind_of_debris_is_recognised(line, kind):
    rule = boilerplate.match(line)
    assert rule is not None and rule.kind == kind
    assert rule.paywall == (kind == "paywall")


@pytest.mark.parametrize("line", LOOKALIKES)
def test_article_sentences_that_resemble_debris_are_not_debris(line):
    assert boilerplate.match(line) is None


def test_no_sentence_of_the_test_articles_is_debris():
    for article in (ENGLISH_ARTICLE, FRENCH_ARTICLE, FRENCH_ARTICLE_WITH_ENGLISH_QUOTE):
        document = parse_text(article)
        assert document.paragraphs == split_paragraphs(article)
        assert document.removed == [] and not document.paywalled
    long = long_french_article(paragraphs=5, sentences_per_paragraph=25)
    assert parse_text(long).paragraphs == split_paragraphs(long)


def with_debris(article: str) -> str:
    """The article with a debris line between each paragraph and the next."""
    paragraphs = split_paragraphs(article)
    lines = [line for line, _ in DEBRIS]
    mixed = []
    for index, paragraph in enumerate(paragraphs):
        mixed += [lines[index % len(lines)], paragraph]
    return "\n\n".join([*mixed, *lines])


@pytest.mark.parametrize(
    "article", [ENGLISH_ARTICLE, FRENCH_ARTICLE, FRENCH_ARTICLE_WITH_ENGLISH_QUOTE]
)
def test_removing_debris_leaves_exactly_the_article(article):
    document = parse_text(with_debris(article))
    assert document.paragraphs == split_paragraphs(article)
    assert document.paywalled
    assert set(document.removed) == {line for line, _ in DEBRIS}


def test_scraped_article_loses_its_four_debris_lines_and_is_marked_paywalled():
    document = parse_text(SCRAPED_ENGLISH_ARTICLE)
    assert document.removed == SCRAPED_ENGLISH_DEBRIS
    assert document.paywalled
    # The section label that shared a paragraph with the theme notice stays.
    assert document.paragraphs[0] == "Local News"
    assert all(line not in document.text for line in SCRAPED_ENGLISH_DEBRIS)


def test_keep_boilerplate_keeps_every_line_but_still_reports_the_paywall():
    document = parse_text(SCRAPED_ENGLISH_ARTICLE, keep_boilerplate=True)
    assert document.paragraphs == split_paragraphs(SCRAPED_ENGLISH_ARTICLE)
    assert document.removed == [] and document.paywalled


def test_a_wrapped_article_line_is_never_taken_for_a_button():
    # Hard-wrapped text: "subscribe now" and "Back to top" sit mid-sentence on lines of
    # their own; the paragraph must come out whole.
    article = (
        "The editor asked every reader who can afford it to\n"
        "subscribe now\n"
        "before the paper raises its prices in the spring. The club is\n"
        "back to top\n"
        "form after a difficult winter.\n"
    )
    # Without a blank line each line is a paragraph; with one, the lines form a paragraph.
    for text in (article, article + "\nA second paragraph follows.\n"):
        document = parse_text(text)
        assert document.removed == []
        assert document.paragraphs == split_paragraphs(text)


def test_debris_line_inside_a_paragraph_is_removed_where_it_stands_alone():
    text = (
        "Le conseil a voté le budget mardi soir.\nPartager sur Facebook\n"
        "Les travaux commenceront en juillet.\n\nDeuxième paragraphe de l'article."
    )
    document = parse_text(text)
    assert document.removed == ["Partager sur Facebook"]
    assert document.paragraphs == [
        "Le conseil a voté le budget mardi soir. Les travaux commenceront en juillet.",
        "Deuxième paragraphe de l'article.",
    ]


def test_text_made_only_of_debris_has_no_article():
    from summarizer.errors import InputError

    with pytest.raises(InputError, match="no article text found in <text>"):
        parse_text("Back to top\n\nShare this article\n")


def test_long_lines_are_never_debris():
    line = "Share this article " + "word " * 80
    assert boilerplate.match(line) is None

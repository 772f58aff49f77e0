"""Scraping debris: lines that are site furniture rather than article text.

Scraped articles carry paywall notices, theme licence warnings, "Back to top" buttons,
share and newsletter prompts, "Read also" teasers and cookie notices. Summarizing them, or
translating them, gives wrong output, so they are removed before anything else.

The rules are conservative on purpose: each one must match a whole line (never part of a
sentence), and no line longer than MAX_DEBRIS_CHARS is ever removed, so that an article
sentence which merely mentions cookies or subscribers stays where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Debris is short; article paragraphs are not. The longest notice seen in scraped text (a
# theme licence warning) is about 150 characters.
MAX_DEBRIS_CHARS = 300


@dataclass(frozen=True)
class Rule:
    # What kind of debris the rule finds, e.g. "paywall" or "share".
    kind: str
    # Matched against the whole line, lower-cased, with curly apostrophes made straight
    # and whitespace collapsed.
    pattern: re.Pattern[str]

    @property
    def paywall(self) -> bool:
        """A paywall notice says that the text before it is not the whole article."""
        return self.kind == "paywall"


def _rules(kind: str, *patterns: str) -> list[Rule]:
    return [Rule(kind, re.compile(pattern)) for pattern in patterns]


# Trailing punctuation or arrows of a button label: ellipsis, up arrow, angle quotes, > and |.
_END = r"[\s.!:\u2026\u2191\u203a\u00bb>|-]*"
_SUBSCRIBERS = r"(?:subscribers|members|paying subscribers)(?: only)?"
_NETWORKS = (
    r"(?:facebook|twitter|x|linkedin|whatsapp|e-?mail|messenger|pinterest|reddit|telegram"
    r"|bluesky|threads|flipboard|print|imprimer|copy link|copier le lien)"
)

RULES: tuple[Rule, ...] = (
    *_rules(
        "paywall",
        # "You have 55% of this article left to read. The rest is reserved for subscribers."
        r"you have \d{1,3} ?% of (?:this|the) article (?:left|remaining) to read\.?"
        rf"(?: the rest is (?:reserved|available) (?:for|to) {_SUBSCRIBERS}\.?)?",
        rf"the rest (?:of (?:this|the) article )?is (?:reserved|available) (?:for|to) "
        rf"{_SUBSCRIBERS}\.?",
        rf"(?:this (?:article|story|content) is )?(?:reserved|available|exclusive) (?:for|to) "
        rf"{_SUBSCRIBERS}\.?",
        r"(?:subscribe|sign in|log in|register) to (?:read|continue reading|unlock)"
        r"(?: (?:the|this) (?:full |whole )?(?:article|story))?(?: in full)?\.?",
        r"il vous reste \d{1,3} ?% de (?:cet|l') ?article à lire\.?"
        r"(?: la suite est réservée aux abonnés\.?)?",
        r"la suite (?:de (?:cet|l') ?article )?est réservée aux abonnés\.?",
        r"(?:cet )?article (?:est )?réservé aux abonnés\.?",
        r"réservé aux abonnés\.?",
        r"(?:abonnez-vous|connectez-vous|inscrivez-vous) pour (?:lire|continuer à lire|"
        r"poursuivre (?:votre|la) lecture|lire la suite)(?: (?:de )?(?:cet|l') ?article)?"
        r"(?: en intégralité)?\.?",
    ),
    *_rules(
        "theme notice",
        # A WordPress theme's licence warning, printed on every page of the site.
        r".*\btheme licen[cs]e is not validated\b.*",
        r".*\bgo to the theme options page to validate the licen[cs]e\b.*",
    ),
    *_rules(
        "navigation",
        rf"(?:back to top|go to top|scroll to top)(?: button)?{_END}",
        rf"(?:retour en haut(?: de (?:la )?page)?|haut de (?:la )?page|"
        rf"revenir en haut(?: de (?:la )?page)?){_END}",
        rf"(?:skip to (?:main )?content|aller au contenu(?: principal)?){_END}",
        # A news site's headline widget label, e.g. "Gn headline FR".
        r"gn headlines?(?: [a-z]{2})?",
    ),
    *_rules(
        "share",
        rf"(?:share|partager)(?: (?:this|the) (?:article|story|page)|"
        rf" (?:cet|l') ?article| cette page)?(?: (?:on|sur|via|par) {_NETWORKS})?{_END}",
        rf"(?:{_NETWORKS}[\s,|•·/]*){{2,}}",
        r"(?:follow us|suivez-nous) (?:on|sur) .{1,60}",
    ),
    *_rules(
        "newsletter",
        r"(?:sign up|subscribe|register) (?:for|to) (?:our|the|my) (?:free |daily |weekly )?"
        r"(?:\w+ )?newsletters?\b.{0,80}",
        r"(?:abonnez-vous|inscrivez-vous) à (?:notre|nos|la) newsletters?\b.{0,80}",
        r"(?:s'abonner|s'inscrire|je m'abonne|je m'inscris) à (?:notre|nos|la) "
        r"newsletters?\b.{0,80}",
        r"recevez (?:notre|nos|la) newsletters?\b.{0,80}",
        rf"(?:subscribe|subscribe now|abonnez-vous|s'abonner|je m'abonne){_END}",
    ),
    *_rules(
        "teaser",
        # "Read also: <headline>", "Lire aussi | <titre>", or the label alone.
        r"(?:read also|also read|read more|see also|related(?: articles?| stories)?|"
        r"à lire aussi|a lire aussi|lire aussi|à lire également|lire la suite|lire|voir aussi|"
        r"à voir aussi|sur le même sujet)(?:\s*[:|>\u00bb\u2013\u2014-].*)?",
    ),
    *_rules(
        "cookies",
        r"(?:this (?:web)?site|we|our (?:web)?site|ce site(?: web)?|nous) "
        r"(?:uses?|utilise|utilisons) (?:des )?cookies\b.*",
        r"(?:en poursuivant|en continuant) (?:votre navigation|à naviguer)\b.*\bcookies\b.*",
        r"by (?:continuing to (?:browse|use)|using) (?:this|our) (?:web)?site\b.*\bcookies\b.*",
        rf"(?:accept(?: all)?(?: cookies)?|accepter(?: et fermer| tout| les cookies)?|"
        rf"tout accepter|refuser(?: tout)?|manage cookies|gérer les cookies|cookie settings|"
        rf"paramètres des cookies|paramétrer les cookies){_END}",
    ),
    *_rules(
        "advertising",
        rf"(?:advertisement|advertising|publicité|sponsored(?: content)?|"
        rf"contenu sponsorisé){_END}",
    ),
    *_rules(
        "javascript",
        r"(?:please )?(?:enable|activate|turn on) javascript\b.{0,120}",
        r"(?:veuillez )?activer (?:le )?javascript\b.{0,120}",
        r"javascript (?:is|must be) (?:disabled|enabled|required)\b.{0,120}",
    ),
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def normalize(line: str) -> str:
    """The form the rules are written against: lower case, straight apostrophes, single
    spaces (no-break spaces included)."""
    return " ".join(line.translate(_APOSTROPHES).split()).lower()


def match(line: str) -> Rule | None:
    """The rule that makes `line` debris, or None when it may be article text."""
    text = normalize(line)
    if not text or len(text) > MAX_DEBRIS_CHARS:
        return None
    for rule in RULES:
        if rule.pattern.fullmatch(text):
            return rule
    return None

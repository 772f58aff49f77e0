"""Articles written for the tests (never copied from elsewhere)."""

FRENCH_ARTICLE = """\
Le conseil municipal de Villeneuve a adopté mardi soir un plan de rénovation des écoles. \
Le projet prévoit de refaire les toitures et d'isoler les façades avant l'hiver prochain.

M. Martin, adjoint chargé de l'éducation, a rappelé que certaines classes n'avaient pas été \
rénovées depuis trente ans. « Les enfants méritent des salles chauffées et lumineuses », \
a-t-il déclaré devant les élus.

L'opposition a salué l'ambition du plan mais s'inquiète de son coût. Mme Durand estime que \
la commune devra emprunter davantage. Le budget total atteint 4,2 millions d'euros.

Les travaux commenceront en juillet, pendant les vacances scolaires. Les parents seront \
informés du calendrier lors de réunions publiques organisées dans chaque quartier.
"""

ENGLISH_ARTICLE = """\
The town council of Riverton approved a plan on Tuesday evening to renovate its schools. \
The project includes new roofs and better insulation before next winter.

The deputy mayor in charge of education said some classrooms had not been renovated in \
thirty years. Children deserve warm and bright rooms, she told the councillors.

The opposition welcomed the ambition of the plan but worried about its cost. Work will \
begin in July, during the school holidays.
"""

FRENCH_PARAGRAPHS = [
    "Le marché couvert de la ville rouvrira ses portes samedi après deux ans de travaux.",
    "Les commerçants ont retrouvé leurs étals et préparent une grande fête d'inauguration.",
    "La mairie promet des animations pour les enfants et un concert en fin de journée.",
    "Les habitants du quartier attendaient ce moment depuis longtemps, selon le maire.",
    "Un parking à vélos a été ajouté devant l'entrée principale du bâtiment rénové.",
]


def long_french_article(paragraphs: int = 40, sentences_per_paragraph: int = 25) -> str:
    """A long article built from varied sentences, one blank line between paragraphs."""
    subjects = ["Le maire", "La préfète", "Un habitant", "Les commerçants", "Le syndicat"]
    verbs = ["a annoncé", "a rappelé", "a regretté", "a souligné", "a confirmé"]
    objects = [
        "que la route serait fermée pendant deux semaines",
        "l'ouverture d'une nouvelle ligne de bus vers la gare",
        "la hausse du prix des loyers dans le centre",
        "le retour du marché de Noël sur la place",
        "la création d'un jardin partagé près de l'école",
    ]
    blocks = []
    for p in range(paragraphs):
        sentences = []
        for s in range(sentences_per_paragraph):
            i = p * sentences_per_paragraph + s
            sentences.append(
                f"{subjects[i % 5]} {verbs[(i // 5) % 5]} {objects[(i // 25) % 5]} "
                f"lors de la réunion numéro {i + 1}."
            )
        blocks.append(" ".join(sentences))
    return "\n\n".join(blocks) + "\n"


def french_article(number: int, sentences: int = 12) -> str:
    """A distinct article per number, made of varied invented sentences in 3 paragraphs."""
    places = ["Lyon", "Nantes", "Brest", "Dijon", "Nîmes", "Metz", "Rouen"]
    topics = [
        "la rénovation de la gare",
        "le prix des transports",
        "la fermeture d'une usine",
        "l'ouverture d'une école",
        "le festival de musique",
        "la sécheresse de l'été",
    ]
    verbs = ["a annoncé", "a critiqué", "a défendu", "a présenté", "a reporté"]
    lines = [
        f"À {places[(number + i) % 7]}, le conseil {verbs[(number * 3 + i) % 5]} "
        f"{topics[(number + 2 * i) % 6]} lors de la séance {number}-{i}."
        for i in range(sentences)
    ]
    third = max(1, sentences // 3)
    return "\n\n".join(" ".join(lines[k : k + third]) for k in range(0, sentences, third)) + "\n"


def short_sentence_article(number: int, sentences: int = 12) -> str:
    """An article of very short sentences (briefs: "Le maire a voté lundi."), a distinct one
    per number: short enough for tight output bounds of their own, below the tiny config's
    max_new_tokens, so they show whether a bound depends on what shares a batch."""
    subjects = ["Le maire", "La préfète", "Le syndicat", "Le conseil", "Un élu", "Marie", "Paul"]
    verbs = ["a voté", "a parlé", "proteste", "attend", "a signé"]
    when = ["", " lundi", " mardi", " hier", " ce soir"]
    lines = []
    for i in range(sentences):
        k = number * 11 + i * 3
        brief = f"{subjects[k % 7]} {verbs[k // 7 % 5]}{when[k // 35 % 5]}."
        lines.append(f"Séance {number}-{i}." if i % 4 == 0 else brief)
    third = max(1, sentences // 3)
    return "\n\n".join(" ".join(lines[k : k + third]) for k in range(0, sentences, third)) + "\n"


def write_corpus(root, count: int, folders: int = 4, article=french_article):
    """count articles (`article(number)`) spread over nested subfolders of root; returns
    their paths."""
    from pathlib import Path

    paths = []
    for number in range(count):
        folder = Path(root) / f"section-{number % folders}" / f"day-{number % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"article-{number:04d}.txt"
        path.write_text(article(number), encoding="utf-8")
        paths.append(path)
    return paths


# An English report as a scraper leaves it: a theme warning glued to the section label, a
# paywall notice, a widget label and a button at the end (the debris is invented too).
SCRAPED_ENGLISH_ARTICLE = """\
Bellhaven Theme License is not validated, Go to the theme options page to validate the \
license, You need a single license for each domain name.
Local News

Harbour town reopens its old lighthouse to visitors

After four years of repairs, the lighthouse of Port Ellery opened its doors again on \
Saturday. Volunteers guided the first visitors up the ninety-two steps to the lantern room.

The council spent 1.3 million pounds on the work. Engineers replaced the rusted railings, \
rebuilt the keeper's cottage and cleaned the great lens by hand.

You have 62% of this article left to read. The rest is reserved for subscribers.

Gn headline FR

Back to top button
"""
SCRAPED_ENGLISH_DEBRIS = [
    "Bellhaven Theme License is not validated, Go to the theme options page to validate the "
    "license, You need a single license for each domain name.",
    "You have 62% of this article left to read. The rest is reserved for subscribers.",
    "Gn headline FR",
    "Back to top button",
]

# A French article quoting an English speaker in a paragraph of its own.
FRENCH_ARTICLE_WITH_ENGLISH_QUOTE = """\
La ministre britannique des transports a visité mardi le chantier du nouveau tunnel \
ferroviaire sous la Manche. Elle a rencontré les ouvriers et les ingénieurs du projet.

"We are building the railway that our grandchildren will use every single day, and we will \
finish it on time," she told the workers gathered at the entrance of the tunnel.

Les travaux doivent s'achever dans trois ans. Le coût total du projet dépasse désormais \
les six milliards d'euros, selon les derniers chiffres publiés par la société.
"""

GERMAN_PARAGRAPH = (
    "Der Bürgermeister der Stadt hat am Dienstag einen neuen Plan für die Renovierung der "
    "Schulen vorgestellt. Die Arbeiten sollen im Sommer beginnen."
)
ITALIAN_PARAGRAPH = (
    "Il sindaco della città ha presentato martedì un nuovo piano per la ristrutturazione "
    "delle scuole. I lavori dovrebbero cominciare in estate."
)

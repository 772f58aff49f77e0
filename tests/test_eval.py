"""`summarizer eval`: a translator or a summarizer measured on the user's references.

The tiny random models write arbitrary text, so the figures say nothing about quality:
these tests check that they are sacrebleu's and rouge-score's own on the hypotheses and
references the JSON output lists, that a rerun computes nothing, and every bad input."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF

import summarizer.pipeline
from summarizer.engines import load_model
from summarizer.errors import InputError
from summarizer.evaluate import Pair, evaluate_translation, read_pairs, read_parallel
from summarizer.pipeline import Summarizer
from tests.fakes import FakeModel, FakeSummarizer
from tests.processes import invoke

SUBJECTS = [
    ("Le maire", "The mayor"),
    ("La ministre", "The minister"),
    ("Un voisin", "A neighbour"),
    ("Les élèves", "The pupils"),
    ("Le boulanger", "The baker"),
]
VERBS = [
    ("a visité", "visited"),
    ("a inauguré", "opened"),
    ("a critiqué", "criticised"),
    ("a présenté", "presented"),
    ("a quitté", "left"),
]
PLACES = [
    ("la nouvelle bibliothèque", "the new library"),
    ("le marché du dimanche", "the Sunday market"),
    ("la piscine municipale", "the town swimming pool"),
    ("le musée du port", "the harbour museum"),
]
ENGLISH_ARTICLES = [
    "The {town} council voted on Monday to build a new bridge over the river. Work should "
    "start in the spring and last two years. The mayor said the project would cost {n} "
    "million euros, and residents will be consulted at a public meeting in March.",
    "Heavy rain flooded the lower streets of {town} overnight. Firefighters pumped water out "
    "of {n} houses and the school stayed closed. The river is expected to fall by Thursday, "
    "according to the weather service.",
]


def french_pairs(count: int = 50) -> list[tuple[str, str]]:
    """Distinct French sentences of the tests' own and their English translations."""
    pairs = [
        (f"{s[0]} {v[0]} {p[0]} jeudi matin.", f"{s[1]} {v[1]} {p[1]} on Thursday morning.")
        for s in SUBJECTS
        for v in VERBS
        for p in PLACES
    ]
    return pairs[:count]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def measure(*args: object) -> dict:
    result = invoke("eval", *args, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def record_models(monkeypatch: pytest.MonkeyPatch) -> list:
    """The models the runs after this make; a model only loads its weights when it computes
    (a fully cached run makes one to name it in cache keys, and never loads it)."""
    made = []

    def load(spec, *args, **kwargs):
        made.append(load_model(spec, *args, **kwargs))
        return made[-1]

    monkeypatch.setattr(summarizer.pipeline, "load_model", load)
    return made


def fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Models that echo their input (summaries: its first half), loaded in no time."""

    def load(spec, *args, **kwargs):
        return FakeModel(spec) if spec.task == "translation" else FakeSummarizer(spec)

    monkeypatch.setattr(summarizer.pipeline, "load_model", load)


def words(text: str) -> str:
    """A text of one line: a hypothesis may hold tabs and newlines, a reference may not."""
    return " ".join(text.split()) or "nothing"


def assert_sacrebleus_figures(data: dict) -> None:
    hypotheses = [item["hypothesis"] for item in data["items"]]
    references = [item["reference"] for item in data["items"]]
    for metric, item_metric in ((CHRF(), CHRF()), (BLEU(), BLEU(effective_order=True))):
        score = metric.corpus_score(hypotheses, [references])
        assert data["scores"][score.name] == score.score
        assert data["signatures"][score.name] == str(metric.get_signature())
        for item in data["items"]:
            expected = item_metric.sentence_score(item["hypothesis"], [item["reference"]])
            assert item["scores"][score.name] == expected.score
        assert data["item_signatures"][score.name] == str(item_metric.get_signature())


def assert_flag_counts(data: dict) -> None:
    """The corpus counts are the items' own, whether or not the pipeline ran checks."""
    assert data["flagged"] == sum(1 for item in data["items"] if item["flagged"])
    assert data["checked"] == sum(1 for item in data["items"] if item["flagged"] is not None)
    if data["task"] == "summarization":
        unsupported = sum(1 for item in data["items"] if item["unsupported_claims"])
        assert data["unsupported"] == unsupported


# -- translation --------------------------------------------------------------------------------


def test_a_tsv_then_parallel_files_score_as_sacrebleu_does_and_the_rerun_is_all_hits(
    tmp_path, tiny_config, monkeypatch
):
    pairs = french_pairs(50)
    tsv = write_lines(tmp_path / "pairs.tsv", [f"{s}\t{r}" for s, r in pairs])
    first = measure("translate", tsv, "--config", tiny_config, "--source-lang", "fr")
    assert first["count"] == 50 and first["stats"]["translation"]["cache_misses"] > 0
    assert [item["source"] for item in first["items"]] == [source for source, _ in pairs]
    assert first["items"][0]["input"] == f"{tsv}:1"
    assert_sacrebleus_figures(first)
    assert_flag_counts(first)
    [model] = first["models"]
    assert (model["name"], model["engine"], model["compute_type"]) == (
        "tiny-marian",
        "torch",
        "float32",
    )
    assert model["generation"] == {"max_input_tokens": 64, "max_new_tokens": 48, "num_beams": 2}
    assert model["retry"] is None  # the tiny config retries nothing
    assert model["checks"] == {
        "min_confidence": -1.5,
        "min_length_ratio": 0.5,
        "max_length_ratio": 2.0,
    }

    # References close to the outputs, so that BLEU is not 0 and the figures mean something.
    hypotheses = [item["hypothesis"] for item in first["items"]]
    references = [
        words(h) if i % 2 else words(" ".join(h.split()[: len(h.split()) // 2]) + " " + r)
        for i, (h, (_, r)) in enumerate(zip(hypotheses, pairs, strict=True))
    ]
    source = write_lines(tmp_path / "src.fr", [s for s, _ in pairs])
    reference = write_lines(tmp_path / "ref.en", references)
    models = record_models(monkeypatch)
    second = measure("translate", source, "--references", reference, "--config", tiny_config)
    stats = second["stats"]["translation"]
    assert stats["cache_misses"] == 0 and stats["cache_hits"] == stats["segments"] > 0
    assert [item["hypothesis"] for item in second["items"]] == hypotheses
    assert models and not any(model.loaded for model in models)
    assert second["references"] == str(reference)
    assert second["scores"]["BLEU"] > 0
    assert_sacrebleus_figures(second)

    limited = measure("translate", tsv, "--config", tiny_config, "--limit", "5")
    assert [item["input"] for item in limited["items"]] == [f"{tsv}:{n}" for n in range(1, 6)]

    table = invoke("eval", "translate", source, "--references", reference, "--config", tiny_config)
    assert table.exit_code == 0, table.output
    header, row = table.stdout.splitlines()[:2]
    assert header.split() == ["CORPUS", "ITEMS", "chrF2", "BLEU", "FLAGGED", "SECONDS"]
    assert row.split()[:4] == [
        str(source),
        "50",
        f"{second['scores']['chrF2']:.2f}",
        f"{second['scores']['BLEU']:.2f}",
    ]
    assert f"BLEU signature: {second['signatures']['BLEU']}" in table.stdout
    assert (
        "tiny-marian generation: max_input_tokens=64 max_new_tokens=48 num_beams=2" in table.stdout
        and "tiny-marian retry: none" in table.stdout
    )
    assert table.stderr.startswith("scored 50 lines in ")


def test_flag_counts_are_the_items_with_flags(tmp_path, tiny_config, monkeypatch):
    """When the pipeline checks its outputs (Result.checks), the corpus counts flagged items."""
    fake_models(monkeypatch)
    run_batch = Summarizer.run_batch

    def with_checks(self, articles, options=None):
        results = run_batch(self, articles, options)
        for article, result in zip(articles, results, strict=True):
            line = int(article.name.rsplit(":", 1)[1])
            flags = ["a sentence", "another"] * (line % 3 == 0)
            result.checks = {"translation": flags, "summary": [], "flagged": len(flags)}
        return results

    monkeypatch.setattr(Summarizer, "run_batch", with_checks)
    tsv = write_lines(tmp_path / "pairs.tsv", [f"{s}\t{r}" for s, r in french_pairs(30)])
    data = measure("translate", tsv, "--config", tiny_config, "--source-lang", "fr")
    assert (data["checked"], data["flagged"], data["flagged_rate"]) == (30, 10, 10 / 30)
    assert_flag_counts(data)
    table = invoke("eval", "translate", tsv, "--config", tiny_config, "-q")
    assert table.stdout.splitlines()[1].split()[4:6] == ["10", "(33.3%)"]


def test_sources_share_a_batch_per_window_and_keep_their_order(tiny_config):
    models: dict[str, FakeModel] = {}

    def load(spec, progress=None):
        return models.setdefault(spec.name, FakeModel(spec))

    corpus = [
        Pair(n, f"Phrase numéro {n} du corpus de test.", f"Sentence {n}.") for n in range(1, 24)
    ]
    windows: list[int] = []
    summarizer = Summarizer(tiny_config, model_loader=load, use_cache=False)
    evaluation = evaluate_translation(
        summarizer, corpus, corpus="c.tsv", source_language="fr", on_done=windows.append, window=10
    )
    assert windows == [10, 10, 3]
    marian = models["tiny-marian"]
    # The fake copies its input, which the checks retry: first attempts only.
    first = [
        b
        for b, settings in zip(marian.batches, marian.settings, strict=True)
        if "repetition_penalty" not in settings
    ]
    assert [len(batch) for batch in first] == [10, 10, 3]
    assert [item.source for item in evaluation.items] == [pair.source for pair in corpus]
    assert [item.hypothesis for item in evaluation.items] == [f"[{p.source}]" for p in corpus]


def test_a_line_the_pipeline_cannot_translate_is_named(tiny_config):
    def detect(texts):
        return [("de" if "Guten" in text else "fr", 0.99) for text in texts]

    corpus = [Pair(1, "Le maire a parlé.", "The mayor spoke."), Pair(2, "Guten Tag.", "Hello.")]
    summarizer = Summarizer(
        tiny_config, model_loader=lambda spec, progress=None: FakeModel(spec), detector=detect
    )
    with pytest.raises(InputError) as raised:
        evaluate_translation(summarizer, corpus, corpus="c.tsv")
    assert str(raised.value).startswith("c.tsv:2: no translator for language 'de'")


# -- summaries ----------------------------------------------------------------------------------


def write_articles(root: Path) -> list[Path]:
    towns = ["Riverton", "Ashford", "Bramley", "Corby", "Dunmore"]
    paths = []
    for n in range(10):
        folder = root / ("north" if n < 5 else "south/coast")
        folder.mkdir(parents=True, exist_ok=True)
        text = ENGLISH_ARTICLES[n % 2].format(town=towns[n % 5], n=n + 2)
        path = folder / f"{towns[n % 5].lower()}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def assert_rouge_scores_figures(data: dict) -> None:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    for item in data["items"]:
        scores = scorer.score(item["reference"], item["hypothesis"])
        assert item["scores"] == {kind: scores[kind].fmeasure for kind in scores}
    for kind in ("rouge1", "rouge2", "rougeL"):
        mean = math.fsum(item["scores"][kind] for item in data["items"]) / len(data["items"])
        assert data["scores"][kind] == pytest.approx(mean, rel=1e-12, abs=1e-15)


def test_summaries_score_as_rouge_score_does_in_either_reference_layout(
    tmp_path, tiny_config, monkeypatch
):
    articles = write_articles(tmp_path / "news")
    refs = tmp_path / "refs"
    for article in articles:
        reference = refs / article.relative_to(tmp_path / "news")
        reference.parent.mkdir(parents=True, exist_ok=True)
        reference.write_text("A placeholder summary.\n", encoding="utf-8")
    first = measure("summarize", tmp_path / "news", "--references", refs, "--config", tiny_config)
    assert first["count"] == 10 and first["stats"]["summarization"]["cache_misses"] > 0
    assert [model["name"] for model in first["models"]] == ["tiny-bart"]

    # References beside the articles this time, close to the outputs: ROUGE is not 0.
    beside = tmp_path / "beside"
    assert sorted(item["input"] for item in first["items"]) == sorted(map(str, articles))
    for item in first["items"]:
        article = Path(item["input"])
        copy = beside / article.relative_to(tmp_path / "news")
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(article.read_bytes())
        summary = words(item["hypothesis"] + " the council")
        copy.with_name(copy.stem + ".summary.txt").write_text(summary, encoding="utf-8")
    models = record_models(monkeypatch)
    second = measure(
        "summarize", beside, "--reference-suffix", ".summary.txt", "--config", tiny_config
    )
    assert second["count"] == 10  # the .summary.txt files are references, not articles
    assert second["stats"]["summarization"]["cache_misses"] == 0
    assert not any(model.loaded for model in models)
    assert second["items"][0]["reference_file"].endswith(".summary.txt")
    assert any(item["scores"]["rouge1"] > 0 for item in second["items"])
    assert_rouge_scores_figures(second)
    assert_rouge_scores_figures(first)
    assert_flag_counts(second)


def test_unsupported_claims_are_counted_per_summary(tmp_path, tiny_config, monkeypatch):
    fake_models(monkeypatch)
    run_batch = Summarizer.run_batch

    def with_checks(self, articles, options=None):
        results = run_batch(self, articles, options)
        for n, result in enumerate(results):
            claims = [{"text": "4 million", "kind": "number"}] * (n % 2)
            result.checks = {"translation": [], "summary": claims, "flagged": len(claims)}
        return results

    monkeypatch.setattr(Summarizer, "run_batch", with_checks)
    articles = write_articles(tmp_path / "news")
    for article in articles:
        article.with_name(article.stem + ".ref").write_text("The council met.", encoding="utf-8")
    data = measure(
        "summarize", tmp_path / "news", "--reference-suffix", ".ref", "--config", tiny_config
    )
    assert (data["checked"], data["unsupported"], data["flagged"]) == (10, 5, 5)
    assert_flag_counts(data)


# -- bad input ----------------------------------------------------------------------------------


def corpus_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "no_tab": "Le maire parle.\tThe mayor speaks.\nUne ligne sans tabulation\n",
        "two_tabs": "Le maire parle.\tThe mayor\tspeaks.\n",
        "empty": "",
        "blank": "\n  \n",
        "empty_source": "Le maire parle.\tThe mayor speaks.\n\tNo source.\n",
        "src": "Le maire parle.\nLa ville dort.\nIl pleut.\n",
        "ref": "The mayor speaks.\nThe town sleeps.\n",
    }
    paths = {name: tmp_path / f"{name}.txt" for name in files}
    for name, text in files.items():
        paths[name].write_text(text, encoding="utf-8")
    paths["latin1"] = tmp_path / "latin1.tsv"
    paths["latin1"].write_bytes("Il pleut.\tIt rains.\nL'été.\tSummer.\n".encode("latin-1"))
    return paths


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["translate", "{missing}"], 1, "Error: no such file: {missing}"),
        (
            ["translate", "{no_tab}"],
            1,
            "Error: {no_tab} line 2: expected a source and its "
            "reference separated by one tab, found 0 tabs",
        ),
        (
            ["translate", "{two_tabs}"],
            1,
            "Error: {two_tabs} line 1: expected a source and its "
            "reference separated by one tab, found 2 tabs",
        ),
        (["translate", "{empty}"], 1, "Error: {empty} has no lines to evaluate"),
        (["translate", "{blank}"], 1, "Error: {blank} has no lines to evaluate"),
        (["translate", "{empty_source}"], 1, "Error: {empty_source} line 2: the source is empty"),
        (
            ["translate", "{src}", "--references", "{ref}"],
            1,
            "Error: {src} has 3 lines but {ref} has 2: the files must be line-parallel",
        ),
        (
            ["translate", "{latin1}"],
            1,
            "Error: {latin1} is not UTF-8 text (line 2); convert it to UTF-8",
        ),
        (
            ["translate", "{no_tab}", "--source-lang", "xx"],
            2,
            "Error: Invalid value for --source-lang:",
        ),
        (
            ["summarize", "{news}"],
            2,
            "Error: give --references REFDIR, or --reference-suffix SUFFIX",
        ),
        (
            ["summarize", "{news}", "--references", "{missing}"],
            1,
            "Error: the reference folder {missing} does not exist",
        ),
        (
            ["summarize", "{news}", "--reference-suffix", ".sum"],
            1,
            "Error: no reference summary for {news}/north/ashford.txt: "
            "{news}/north/ashford.sum does not exist (and 9 more)",
        ),
        (
            ["summarize", "{news}/north/ashford.txt", "--reference-suffix", ".txt"],
            1,
            "Error: {news}/north/ashford.txt would be its own reference",
        ),
        (
            ["summarize", "{news}", "--reference-suffix", ".txt"],
            1,
            "Error: no input files matched *.txt *.text *.html *.htm *.pdf *.docx in {news} "
            "(files ending in .txt are references)",
        ),
    ],
)
def test_each_bad_input_is_one_line_and_an_exit_code(tmp_path, tiny_config, args, code, message):
    places = {name: str(path) for name, path in corpus_files(tmp_path).items()}
    places["missing"] = str(tmp_path / "missing.tsv")
    write_articles(tmp_path / "news")
    places["news"] = str(tmp_path / "news")
    result = invoke("eval", *[arg.format(**places) for arg in args], "--config", tiny_config)
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(message.format(**places))


def test_line_endings_a_byte_order_mark_and_blank_lines_at_the_end_are_read(tmp_path):
    tsv = tmp_path / "pairs.tsv"
    tsv.write_bytes("\ufeffIl pleut.\tIt rains.\r\n Le vent. \t The wind.\r\n\r\n  \n".encode())
    assert read_pairs(tsv) == [Pair(1, "Il pleut.", "It rains."), Pair(2, "Le vent.", "The wind.")]
    source, reference = tmp_path / "src", tmp_path / "ref"
    source.write_text("Il pleut.\nLe vent.\n", encoding="utf-8")
    reference.write_text("It rains.\n\t\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_parallel(source, reference)
    assert (
        str(raised.value)
        == f"{source} has 2 lines but {reference} has 1: the files must be line-parallel"
    )
    reference.write_text("It rains.\n\nThe wind.\n", encoding="utf-8")
    source.write_text("Il pleut.\nLe vent.\nLa pluie.\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_parallel(source, reference)
    assert str(raised.value) == f"{reference} line 2: the reference is empty"


def test_a_limit_below_one_is_a_usage_error(tmp_path, tiny_config):
    result = invoke("eval", "translate", tmp_path / "x.tsv", "--limit", "0")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_without_the_eval_extra_one_line_says_what_to_install(tmp_path, tiny_config, monkeypatch):
    monkeypatch.setitem(sys.modules, "sacrebleu", None)
    monkeypatch.setitem(sys.modules, "sacrebleu.metrics", None)
    models = record_models(monkeypatch)
    tsv = write_lines(tmp_path / "pairs.tsv", [f"{s}\t{r}" for s, r in french_pairs(3)])
    result = invoke("eval", "translate", tsv, "--config", tiny_config, "-q")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: scoring needs sacrebleu, which is not installed; install the eval extra: "
        "pip install '.[eval]' in the summarizer clone (or pip install sacrebleu rouge-score)\n"
    )
    assert models == []  # refused before any model was made


def test_without_checks_the_first_attempts_are_measured_and_nothing_is_flagged(
    tmp_path, retrying_config
):
    tsv = write_lines(tmp_path / "pairs.tsv", [f"{s}\t{r}" for s, r in french_pairs(3)])
    args = ("translate", tsv, "--config", retrying_config, "--source-lang", "fr")
    checked = measure(*args)
    unchecked = measure(*args, "--no-checks")
    assert checked["checked"] == 3 and checked["stats"]["translation"]["retried"] == 3
    assert (unchecked["checked"], unchecked["flagged_rate"]) == (0, None)
    assert unchecked["stats"]["translation"]["retried"] == 0
    table = invoke("eval", *args, "--no-checks", "-q")
    assert table.stdout.splitlines()[1].split()[4] == "-"

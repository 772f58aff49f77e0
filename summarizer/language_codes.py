"""The language codes of many-to-many translators, from the ISO 639-1 codes that language
detection gives.

M2M100 names a language by its ISO code ("fr"), written as a token "__fr__"; NLLB-200 by its
FLORES-200 code ("fra_Latn"), which is the token itself. The tables are the models' own
language lists (their tokenizers' language tokens); where a macrolanguage has several
members, the one the model's training data mostly holds is taken (ar: Modern Standard
Arabic, fa: Western Persian, zh: Simplified Chinese, no: Bokmål). A model's
`[models.NAME.language_codes]` table overrides any entry, or adds one (e.g. zh = "zho_Hant").
"""

from __future__ import annotations

from collections.abc import Mapping

# The code schemes, by the tokenizer that reads them.
M2M100 = "m2m100"
FLORES_200 = "flores-200"
SCHEMES = (M2M100, FLORES_200)

# fmt: off
# facebook/m2m100_418M's 100 languages (its tokenizer's "m2m100" list).
M2M100_CODES = frozenset({
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs",
    "cy", "da", "de", "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd",
    "gl", "gu", "ha", "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "ilo", "is", "it",
    "ja", "jv", "ka", "kk", "km", "kn", "ko", "lb", "lg", "ln", "lo", "lt", "lv", "mg",
    "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "ns", "oc", "or", "pa", "pl",
    "ps", "pt", "ro", "ru", "sd", "si", "sk", "sl", "so", "sq", "sr", "ss", "su", "sv",
    "sw", "ta", "th", "tl", "tn", "tr", "uk", "ur", "uz", "vi", "wo", "xh", "yi", "yo",
    "zh", "zu",
})
# ISO 639-1 -> FLORES-200, for every language NLLB-200 reads that has a two-letter code.
FLORES_200_CODES = {
    "af": "afr_Latn", "ak": "aka_Latn", "am": "amh_Ethi", "ar": "arb_Arab", "as":
    "asm_Beng", "ay": "ayr_Latn", "az": "azj_Latn", "ba": "bak_Cyrl", "be": "bel_Cyrl",
    "bg": "bul_Cyrl", "bm": "bam_Latn", "bn": "ben_Beng", "bo": "bod_Tibt", "bs":
    "bos_Latn", "ca": "cat_Latn", "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn",
    "de": "deu_Latn", "dz": "dzo_Tibt", "ee": "ewe_Latn", "el": "ell_Grek", "en":
    "eng_Latn", "eo": "epo_Latn", "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn",
    "fa": "pes_Arab", "ff": "fuv_Latn", "fi": "fin_Latn", "fj": "fij_Latn", "fo":
    "fao_Latn", "fr": "fra_Latn", "ga": "gle_Latn", "gd": "gla_Latn", "gl": "glg_Latn",
    "gn": "grn_Latn", "gu": "guj_Gujr", "ha": "hau_Latn", "he": "heb_Hebr", "hi":
    "hin_Deva", "hr": "hrv_Latn", "ht": "hat_Latn", "hu": "hun_Latn", "hy": "hye_Armn",
    "id": "ind_Latn", "ig": "ibo_Latn", "is": "isl_Latn", "it": "ita_Latn", "ja":
    "jpn_Jpan", "jv": "jav_Latn", "ka": "kat_Geor", "kg": "kon_Latn", "ki": "kik_Latn",
    "kk": "kaz_Cyrl", "km": "khm_Khmr", "kn": "kan_Knda", "ko": "kor_Hang", "kr":
    "knc_Latn", "ks": "kas_Arab", "ku": "kmr_Latn", "ky": "kir_Cyrl", "lb": "ltz_Latn",
    "lg": "lug_Latn", "li": "lim_Latn", "ln": "lin_Latn", "lo": "lao_Laoo", "lt":
    "lit_Latn", "lv": "lvs_Latn", "mg": "plt_Latn", "mi": "mri_Latn", "mk": "mkd_Cyrl",
    "ml": "mal_Mlym", "mn": "khk_Cyrl", "mr": "mar_Deva", "ms": "zsm_Latn", "mt":
    "mlt_Latn", "my": "mya_Mymr", "nb": "nob_Latn", "ne": "npi_Deva", "nl": "nld_Latn",
    "nn": "nno_Latn", "no": "nob_Latn", "ny": "nya_Latn", "oc": "oci_Latn", "om":
    "gaz_Latn", "or": "ory_Orya", "pa": "pan_Guru", "pl": "pol_Latn", "ps": "pbt_Arab",
    "pt": "por_Latn", "qu": "quy_Latn", "rn": "run_Latn", "ro": "ron_Latn", "ru":
    "rus_Cyrl", "rw": "kin_Latn", "sa": "san_Deva", "sc": "srd_Latn", "sd": "snd_Arab",
    "sg": "sag_Latn", "si": "sin_Sinh", "sk": "slk_Latn", "sl": "slv_Latn", "sm":
    "smo_Latn", "sn": "sna_Latn", "so": "som_Latn", "sq": "als_Latn", "sr": "srp_Cyrl",
    "ss": "ssw_Latn", "st": "sot_Latn", "su": "sun_Latn", "sv": "swe_Latn", "sw":
    "swh_Latn", "ta": "tam_Taml", "te": "tel_Telu", "tg": "tgk_Cyrl", "th": "tha_Thai",
    "ti": "tir_Ethi", "tk": "tuk_Latn", "tl": "tgl_Latn", "tn": "tsn_Latn", "tr":
    "tur_Latn", "ts": "tso_Latn", "tt": "tat_Cyrl", "tw": "twi_Latn", "ug": "uig_Arab",
    "uk": "ukr_Cyrl", "ur": "urd_Arab", "uz": "uzn_Latn", "vi": "vie_Latn", "wo":
    "wol_Latn", "xh": "xho_Latn", "yi": "ydd_Hebr", "yo": "yor_Latn", "zh": "zho_Hans",
    "zu": "zul_Latn",
}
# FLORES-200 codes of the languages with no two-letter code: a three-letter code (ast, ceb,
# ...) maps to the one that starts with it.
FLORES_200_THREE_LETTER = (
    "ace_Arab", "ace_Latn", "acm_Arab", "acq_Arab", "aeb_Arab", "ajp_Arab", "apc_Arab",
    "ars_Arab", "ary_Arab", "arz_Arab", "ast_Latn", "awa_Deva", "azb_Arab", "ban_Latn",
    "bem_Latn", "bho_Deva", "bjn_Arab", "bjn_Latn", "bug_Latn", "ceb_Latn", "cjk_Latn",
    "ckb_Arab", "crh_Latn", "dik_Latn", "dyu_Latn", "fon_Latn", "fur_Latn", "hne_Deva",
    "ilo_Latn", "kab_Latn", "kac_Latn", "kam_Latn", "kbp_Latn", "kea_Latn", "kmb_Latn",
    "knc_Arab", "lij_Latn", "lmo_Latn", "ltg_Latn", "lua_Latn", "luo_Latn", "lus_Latn",
    "mag_Deva", "mai_Deva", "min_Latn", "mni_Beng", "mos_Latn", "nso_Latn", "nus_Latn",
    "pag_Latn", "pap_Latn", "sat_Beng", "scn_Latn", "shn_Mymr", "szl_Latn", "taq_Latn",
    "taq_Tfng", "tpi_Latn", "tum_Latn", "tzm_Tfng", "umb_Latn", "vec_Latn", "war_Latn",
    "yue_Hant",
)
# fmt: on

# Norwegian is one language to M2M100 ("no"); detection may name its written standards.
_M2M100_ALIASES = {"nb": "no", "nn": "no"}


def model_language_code(scheme: str, language: str, overrides: Mapping[str, str]) -> str | None:
    """The model's code for `language` (ISO 639-1, or 639-3 where there is no two-letter
    code), or None when the model does not read it."""
    if language in overrides:
        return overrides[language]
    if scheme == M2M100:
        language = _M2M100_ALIASES.get(language, language)
        return language if language in M2M100_CODES else None
    if language in FLORES_200_CODES:
        return FLORES_200_CODES[language]
    matches = [code for code in FLORES_200_THREE_LETTER if code.startswith(f"{language}_")]
    return matches[0] if matches else None


def language_token(scheme: str, code: str) -> str:
    """The token that names language `code` to the model: "__fr__" or "fra_Latn"."""
    return f"__{code}__" if scheme == M2M100 else code


def languages_read(scheme: str, overrides: Mapping[str, str]) -> list[str]:
    """The ISO codes a model of `scheme` reads, with its overrides."""
    if scheme == M2M100:
        known = set(M2M100_CODES)
    else:
        known = {*FLORES_200_CODES, *(code.split("_")[0] for code in FLORES_200_THREE_LETTER)}
    return sorted({*known, *overrides})

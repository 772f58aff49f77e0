import pytest

from summarizer.documents import read_article, split_paragraphs
from summarizer.errors import InputError


def test_paragraphs_are_blank_line_separated_and_inner_newlines_joined():
    text = "Premier paragraphe,\nsur deux lignes.\n\n  \nDeuxième.\r\n\r\nTroisième.\n"
    assert split_paragraphs(text) == [
        "Premier paragraphe, sur deux lignes.",
        "Deuxième.",
        "Troisième.",
    ]


def test_text_without_blank_lines_has_one_paragraph_per_line():
    assert split_paragraphs("Un.\nDeux.\nTrois.") == ["Un.", "Deux.", "Trois."]


def test_read_article_drops_a_utf8_bom_and_joins_paragraphs(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffÉté chaud.\n\n\n\nHiver froid.\n".encode())
    assert read_article(str(path)) == "Été chaud.\n\nHiver froid."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b" \n\t\n", "is empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9 \xff\xfe", "not UTF-8"),
    ],
)
def test_unusable_files_raise_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_article(str(path))


def test_missing_file_and_directory_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_article(str(tmp_path / "absent.txt"))
    with pytest.raises(InputError, match="is a directory"):
        read_article(str(tmp_path))

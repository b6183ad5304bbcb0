"""Engine configuration files: validated, errors name the line, bad files stop the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from anonymizer.engine import get_engine
from anonymizer.errors import ConfigError
from anonymizer.settings import load_config, parse_config

GOOD = """\
languages: [vi]
nlp_engine: no_op
score_threshold: 0.5
recognizers:
  - name: vn_phone
  - name: email
    languages: [vi]
  - name: person
    enabled: false
"""


def test_shipped_default_is_valid() -> None:
    config = load_config()
    assert config.languages == ["vi", "en"]
    assert config.nlp_engine == "no_op"
    assert {r.name for r in config.recognizers} >= {"vn_cccd", "person", "location", "url"}


def test_a_custom_file_builds_its_own_engine(tmp_path: Path) -> None:
    path = tmp_path / "pii.yaml"
    path.write_text(GOOD, encoding="utf-8")
    engine = get_engine(path)
    assert engine is get_engine(path)  # cached per file
    assert engine.supported_entities == {"PHONE_NUMBER", "EMAIL_ADDRESS"}  # person disabled
    assert [f.entity_type for f in engine.analyze("Ông Nguyễn Văn An, 0903123456")] == [
        "PHONE_NUMBER"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("vn_phone", "vn_phoen"), "line 5: recognizers.0.name: unknown recognizer"),
        (GOOD.replace("score_threshold: 0.5", "score_threshold: 5"), "line 3: score_threshold"),
        (GOOD.replace("nlp_engine: no_op", "nlp_engine: spacy"), "line 2: nlp_engine"),
        (GOOD + "colour: blue\n", "line 10: colour: unknown key"),
        (GOOD.replace("languages: [vi]\n", "languages: [vi, fr]\n", 1), "line 1: languages.1"),
        (GOOD.replace("    languages: [vi]\n", "    languages: [en]\n"), "languages ['en']"),
        ("recognizers: [", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_bad_files_name_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(text, source="pii.yaml")
    assert expected in str(excinfo.value)
    assert str(excinfo.value).startswith("pii.yaml: ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")

"""The prefetch templates ask for what the reader can use, and no more."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.cds.config import read_config


def test_the_observation_search_names_every_observation_code_the_reader_uses(advisor: Advisor) -> None:
    fhir = advisor.kb.data["fhir"].data
    terminology = advisor.kb.data["terminology"].data
    urls = {name: system["url"] for name, system in fhir["systems"].items()}
    urls |= {name: url for name, url in terminology["systems"].items()}

    def url(token: str) -> str:
        system, _, code = token.partition("|")
        return f"{urls[system]}|{code}"

    wanted = {url(token) for observation in fhir["observations"].values() for token in observation["codes"]}
    wanted |= {url(token) for attribute in fhir["attributes"].values() for token in attribute["codes"]}
    wanted |= {
        url(token)
        for tokens in fhir["codes"]["red_flags"].values()
        for token in tokens
        if not token.startswith(("icd10|", "icd10cm|"))  # ICD-10 codes Conditions, not Observations
    }
    wanted |= {
        url(token) for name, sign in terminology["vital_signs"].items() if name != "source" for token in sign["codes"]
    }
    template = read_config(advisor).prefetch["observations"]
    query = parse_qs(urlsplit(template).query)
    assert set(query["code"][0].split(",")) == wanted
    assert query["_count"] == ["100"]

"""The same decisions as the bundled knowledge base, hand-coded in plain Python: a speed floor.

Written only for the batch benchmark (bench/batch_benchmark.py), which checks that it
gives the same item codes and kinds as the Datalog rules for every patient of its
cohort. It is NOT a second implementation of the guideline to use anywhere: it has no
evidence, no parameters and no explanations, and it only exists to show what the
reasoner costs next to the fastest thing that could give the same codes.
"""

from __future__ import annotations

from typing import Any

CUMULATIVE_LIMIT = 21
CONTRAINDICATING = {"hyperthyroidism", "arrhythmia", "heart_block", "heart_failure", "recent_myocardial_infarction"}
SEROTONERGIC = {"ssri", "snri", "tricyclic", "tramadol", "bupropion", "meperidine", "verapamil", "maoi"}
CNS_DEPRESSANTS = {"alcohol", "benzodiazepine", "opioid", "tramadol", "other_cns_depressant"}
ANTICHOLINERGIC_RISKS = {"glaucoma", "urinary_retention"}


def _codes_and_attributes(items: list[Any] | None, attribute: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict):
            found[item["code"]] = item.get(attribute)
        else:
            found[item] = None
    return found


def decide(record: dict[str, Any]) -> dict[str, str]:
    """Code → kind for one valid record, as the knowledge base would answer."""
    age = record["age"]
    days = record["symptom_days"]
    taken = record["relaxant_days_taken"]
    flare_up = bool(record.get("flare_up"))
    conditions = _codes_and_attributes(record.get("conditions"), "severity")
    medications = _codes_and_attributes(record.get("medications"), "days_since_last_dose")
    red_flags = record.get("red_flags") or []
    allergies = set(record.get("allergies") or [])

    phase = "acute" if days < 28 else "subacute" if days <= 84 else "chronic"
    codes: dict[str, str] = {}
    if red_flags:
        codes["urgent_evaluation"] = "refer"
        codes["routine_plan_not_sufficient"] = "warn"
    if age > 50 or age < 20:
        codes["red_flag_screening"] = "warn"
    if SEROTONERGIC & medications.keys():
        codes["serotonin_syndrome_risk"] = "warn"
    if age >= 65:
        codes["beers_muscle_relaxant"] = "warn"

    excluded = (
        (phase == "chronic" and not flare_up)
        or taken >= CUMULATIVE_LIMIT
        or age >= 65
        or age < 15
        or bool(CONTRAINDICATING & conditions.keys())
        or ("hepatic_impairment" in conditions and conditions["hepatic_impairment"] not in (None, "mild"))
        or ("maoi" in medications and (medications["maoi"] is None or medications["maoi"] < 14))
        or "cyclobenzaprine" in allergies
    )
    window = phase in ("acute", "subacute") or flare_up
    offered = window and CUMULATIVE_LIMIT - taken > 0 and not excluded
    if offered:
        codes["cns_side_effects"] = "warn"
        if CNS_DEPRESSANTS & medications.keys():
            codes["cns_depressant_interaction"] = "warn"
        if ANTICHOLINERGIC_RISKS & conditions.keys():
            codes["anticholinergic_caution"] = "warn"

    codes["heat_therapy"] = "recommend"
    if phase == "acute":
        codes["gentle_movement"] = "recommend"
    codes["supervised_exercise"] = "recommend"
    if phase == "chronic":
        codes["motor_control_exercise"] = "recommend"
    codes["massage"] = "consider"
    codes["spinal_manipulation"] = "consider"
    if phase == "chronic":
        codes["multidisciplinary_rehabilitation"] = "consider"
    if offered:
        codes["muscle_relaxant_short_course"] = "consider"
    elif excluded:
        codes["muscle_relaxant_short_course"] = "avoid"
    if phase in ("acute", "subacute"):
        codes["analgesic"] = "consider"
    codes["lumbar_support"] = "avoid"
    codes["tens"] = "avoid"
    codes["prolonged_muscle_relaxant"] = "avoid"
    return codes

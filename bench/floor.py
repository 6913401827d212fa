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
CNS_DEPRESSANTS = {"alcohol", "benzodiazepine", "opioid", "tramadol", "meperidine", "other_cns_depressant"}
BOXED_WARNING = {"opioid", "tramadol", "meperidine", "benzodiazepine"}
ANTICHOLINERGIC_RISKS = {"glaucoma", "urinary_retention"}
WASHOUT = {"maoi": 14}
COURSE_END = {"fewer_than_3_days_left", "course_complete", "cumulative_limit_reached"}


def _codes_and_attributes(items: list[Any] | None, attribute: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict):
            found[item["code"]] = item.get(attribute)
        else:
            found[item] = None
    return found


def _relaxant_reasons(record: dict[str, Any], phase: str, conditions: dict[str, Any], current: set[str]) -> set[str]:
    age, taken = record["age"], record["relaxant_days_taken"]
    day = record.get("relaxant_course_day") or 0
    medications = _codes_and_attributes(record.get("medications"), "days_since_last_dose")
    allergies = set(record.get("allergies") or [])
    checks = {
        "chronic_without_flare_up": phase == "chronic" and not record.get("flare_up"),
        "cumulative_limit_reached": taken >= CUMULATIVE_LIMIT,
        "fewer_than_3_days_left": day == 0 and 0 < CUMULATIVE_LIMIT - taken < 3,
        "course_complete": day >= 7,
        "age_65_or_over": age >= 65,
        "under_15": age < 15,
        "contraindication": bool(CONTRAINDICATING & conditions.keys())
        or ("hepatic_impairment" in conditions and conditions["hepatic_impairment"] not in (None, "mild"))
        or ("maoi" in medications and (medications["maoi"] is None or medications["maoi"] < 14))
        or bool({"cyclobenzaprine", "tricyclic"} & allergies),
        "red_flag_unexplained": bool(record.get("red_flags")),
        "pregnancy": "pregnancy" in conditions,
        "opioid_or_benzodiazepine": bool(BOXED_WARNING & current),
        "two_or_more_cns_depressants": len(CNS_DEPRESSANTS & current) >= 2,
    }
    return {reason for reason, holds in checks.items() if holds}


def _analgesic_choice(record: dict[str, Any], conditions: dict[str, Any]) -> str | None:
    allergies = set(record.get("allergies") or [])
    weeks = _codes_and_attributes(record.get("conditions"), "gestational_week")
    pregnant = "pregnancy" in conditions
    week = weeks.get("pregnancy")
    nsaid_excluded = (
        "nsaid" in allergies or "heart_failure" in conditions or (pregnant and (week is None or week >= 20))
    )
    paracetamol_excluded = "paracetamol" in allergies
    order = ["paracetamol", "nsaid"] if pregnant else ["nsaid", "paracetamol"]
    allowed = {"nsaid": not nsaid_excluded, "paracetamol": not paracetamol_excluded}
    return next((drug_class for drug_class in order if allowed[drug_class]), None)


def decide(record: dict[str, Any]) -> dict[str, str]:
    """Code → kind for one valid record, as the knowledge base would answer."""
    age = record["age"]
    days = record["symptom_days"]
    taken = record["relaxant_days_taken"]
    day = record.get("relaxant_course_day") or 0
    flare_up = bool(record.get("flare_up"))
    conditions = _codes_and_attributes(record.get("conditions"), "severity")
    medications = _codes_and_attributes(record.get("medications"), "days_since_last_dose")
    current = {
        code
        for code, stopped in medications.items()
        if stopped is None or code not in WASHOUT or stopped < WASHOUT[code]
    }
    red_flags = record.get("red_flags") or []
    covered = age >= 16

    phase = "acute" if days < 28 else "subacute" if days <= 84 else "chronic"
    codes: dict[str, str] = {}
    if red_flags:
        codes["urgent_evaluation"] = "refer"
        codes["routine_plan_not_sufficient"] = "warn"
    if not covered:
        codes["paediatric_assessment"] = "refer"
    if age > 50 or age < 20:
        codes["red_flag_screening"] = "warn"
    if SEROTONERGIC & current:
        codes["serotonin_syndrome_risk"] = "warn"
    if age >= 65:
        codes["beers_muscle_relaxant"] = "warn"
    if BOXED_WARNING & current:
        codes["opioid_benzodiazepine_boxed_warning"] = "warn"
    if CNS_DEPRESSANTS & current:
        codes["cns_depressant_interaction"] = "warn"
    if ANTICHOLINERGIC_RISKS & conditions.keys():
        codes["anticholinergic_caution"] = "warn"

    reasons = _relaxant_reasons(record, phase, conditions, current)
    window = covered and (phase != "chronic" or flare_up)
    room = 7 - day if day > 0 else 7
    offered = window and CUMULATIVE_LIMIT - taken > 0 and room > 0 and not reasons
    if offered:
        codes["cns_side_effects"] = "warn"
    if window and reasons & COURSE_END:
        codes["relaxant_stop_and_reassess"] = "warn"

    if covered:
        codes["heat_therapy"] = "recommend"
        if phase == "acute":
            codes["gentle_movement"] = "recommend"
    deferred = bool(red_flags)
    if deferred:
        codes["supervised_exercise"] = "avoid"
        codes["massage"] = "avoid"
        if phase == "chronic":
            codes["motor_control_exercise"] = "avoid"
            codes["multidisciplinary_rehabilitation"] = "avoid"
    elif covered:
        codes["supervised_exercise"] = "recommend"
        codes["massage"] = "consider"
        if phase == "chronic":
            codes["motor_control_exercise"] = "recommend"
            codes["multidisciplinary_rehabilitation"] = "consider"
    if red_flags or "osteoporosis" in conditions:
        codes["spinal_manipulation"] = "avoid"
    elif covered:
        codes["spinal_manipulation"] = "consider"
    if offered:
        codes["muscle_relaxant_short_course"] = "consider"
    elif reasons:
        codes["muscle_relaxant_short_course"] = "avoid"
    if covered:
        codes["analgesic"] = "consider" if _analgesic_choice(record, conditions) else "avoid"
    codes["lumbar_support"] = "avoid"
    codes["tens"] = "avoid"
    codes["prolonged_muscle_relaxant"] = "avoid"
    return codes

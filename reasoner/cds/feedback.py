"""The feedback an EHR sends on a card (CDS Hooks 2.0 ``POST {service}/feedback``), checked.

Only what says how the card fared is kept: the card's uuid, ``accepted`` or ``overridden``,
the accepted suggestions' uuids, the override reason's code and the time; free text a user
typed (``userComment``) may name the patient and is not kept.
"""

from __future__ import annotations

from typing import Any

from .requests import HookError

OUTCOMES = ("accepted", "overridden")


def read_feedback(body: Any) -> list[dict[str, Any]]:
    """The outcomes of ``{"feedback": [...]}``; 400 naming the element otherwise."""
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list) or not body["feedback"]:
        raise HookError(400, "feedback is a JSON object with a non-empty list 'feedback'")
    outcomes: list[dict[str, Any]] = []
    for index, item in enumerate(body["feedback"]):
        where = f"feedback[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("card"), str):
            raise HookError(400, f"{where}.card (the card's uuid) is required")
        if item.get("outcome") not in OUTCOMES:
            raise HookError(400, f"{where}.outcome must be one of: {', '.join(OUTCOMES)}")
        if not isinstance(item.get("outcomeTimestamp"), str):
            raise HookError(400, f"{where}.outcomeTimestamp is required")
        accepted = item.get("acceptedSuggestions") or []
        if not isinstance(accepted, list) or not all(
            isinstance(suggestion, dict) and isinstance(suggestion.get("id"), str) for suggestion in accepted
        ):
            raise HookError(400, f"{where}.acceptedSuggestions is a list of {{id}}")
        reason = (
            (item.get("overrideReason") or {}).get("reason") if isinstance(item.get("overrideReason"), dict) else None
        )
        outcomes.append(
            {
                "card": item["card"],
                "outcome": item["outcome"],
                "accepted": [suggestion["id"] for suggestion in accepted],
                "override_reason": reason.get("code") if isinstance(reason, dict) else None,
                "at": item["outcomeTimestamp"],
            }
        )
    return outcomes

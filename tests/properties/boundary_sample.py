"""A deterministic, stratified sample of the default boundary level, for the costlier engines.

pyDatalog answers every boundary patient in the default profile; the clingo and SQL
differentials (tests/properties/test_differential.py) answer this sample instead, and every
patient under ``--slow``. The sample follows the way ``reasoner.kbtools.verify`` builds the
level (the grid; the fields left out of the grid, tried on the anchors; every code option on
the anchors) and keeps, with a fixed seed:

* every anchor: the grid patients that code options are combined with, one per distinct set
  of items in the grid's answers, so every distinct grid answer is in the sample;
* for every value of every grid field (each boundary value of each number, each boolean absent
  or true), ``PER_STRATUM`` grid patients with that value; for a field bounded by another
  (``at_most``: relaxant days taken by symptom days), with each value of that other field;
* for every value of a field left out of the grid (the day of a course under way), with every
  value of the field it is bounded by, ``PER_STRATUM`` patients with that pair;
* for every code option (one code class of one field, with its attribute variant),
  ``PER_STRATUM`` of the patients that carry it;
* for every distinct answer (items and their kinds) the level gives, one patient who gets it;
* ``UNIFORM`` more patients drawn uniformly from the whole level.

What a patient belongs to is read from the records themselves and the record spec, not from
the generator's internals, so a new field or code option makes a new stratum by itself.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from backspasm.reasoner.advisor.records import RecordSpec
from backspasm.reasoner.kbtools.verify import Outcome

PER_STRATUM = 2
UNIFORM = 100
SEED = 20240611

Record = Mapping[str, Any]
Stratum = tuple[str, ...]


def boundary_sample(spec: RecordSpec, outcomes: Sequence[Outcome]) -> list[int]:
    """Positions, in order, of the sampled patients (see the module's docstring for what is kept).

    A stratum that already has patients chosen for another one draws only what it still lacks.
    """
    rng = random.Random(SEED)
    chosen: set[int] = set()
    found = strata(spec, outcomes)
    for stratum in sorted(found, key=lambda stratum: (ORDER.index(stratum[0]), stratum)):
        members = found[stratum]
        wanted = len(members) if stratum[0] == "anchor" else 1 if stratum[0] == "answer" else PER_STRATUM
        unchosen = [position for position in members if position not in chosen]
        lacking = min(wanted - (len(members) - len(unchosen)), len(unchosen))
        if lacking > 0:
            chosen.update(rng.sample(unchosen, lacking))
    rest = [position for position in range(len(outcomes)) if position not in chosen]
    chosen.update(rng.sample(rest, min(UNIFORM, len(rest))))
    return sorted(chosen)


ORDER = ("anchor", "code option", "left out of the grid", "grid value", "answer")
"""The order strata are filled in: the answers last, as most are met by then."""


def strata(spec: RecordSpec, outcomes: Sequence[Outcome]) -> dict[Stratum, list[int]]:
    """Every stratum of the boundary level, with the positions of its patients in ``outcomes``."""
    codes = {field.name for field in spec.fields if field.type == "codes"}
    identifier = spec.identifier

    def base(record: Record) -> str:
        return json.dumps({k: v for k, v in record.items() if k != identifier and k not in codes}, sort_keys=True)

    anchors = {base(outcome.record) for outcome in outcomes if codes & set(outcome.record)}
    grid_fields = sorted({name for anchor in anchors for name in json.loads(anchor)})
    found: dict[Stratum, list[int]] = defaultdict(list)
    for position, outcome in enumerate(outcomes):
        record = outcome.record
        found[("answer", json.dumps([(item.code, item.kind) for item in outcome.answer.items]))].append(position)
        coded = sorted(codes & set(record))
        left_out = sorted(set(record) - set(grid_fields) - codes - {identifier})
        if coded:
            for name in coded:
                found[("code option", name, json.dumps(record[name], sort_keys=True))].append(position)
        elif left_out:
            for name in left_out:
                found[("left out of the grid", _with_bound(spec, record, name))].append(position)
        else:
            if base(record) in anchors:
                found[("anchor", base(record))].append(position)
            for name in grid_fields:
                found[("grid value", _with_bound(spec, record, name))].append(position)
    return dict(found)


def _with_bound(spec: RecordSpec, record: Record, name: str) -> str:
    """``name=value``, and the value of the field it is bounded by (``at_most``), which it meets at every value."""
    field = spec.field(name)
    bound = field.at_most if field else None
    value = f"{name}={json.dumps(record.get(name))}"
    return f"{value}, {bound}={json.dumps(record.get(bound))}" if bound else value

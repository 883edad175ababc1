"""Score the photo checks on the labelled set.

Two views: per finding code, precision and recall (a code counts as raised whether it is a
fail or a warn); and per refusal reason, what happened to the photos that must be refused
for it (refused for that reason, refused for another, only warned about, or let through).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.photo import Severity, check_photo

from .build import PhotoCase, load_cases

FAIL_CODES = ("unreadable", "format", "resolution", "no_face", "multiple_people")
WARN_CODES = ("framing", "not_frontal", "lighting", "exposure", "blur", "glasses", "headwear", "face_covered")
OUTCOMES = ("refused, right reason", "refused, other reason", "warned only", "let through")


@dataclass
class CodeScore:
    code: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


@dataclass
class Refusals:
    """What happened to the photos that must be refused for one reason."""

    code: str
    outcomes: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)  # "case: what it got instead"

    @property
    def cases(self) -> int:
        return sum(self.outcomes.values())

    @property
    def right_share(self) -> float:
        return self.outcomes[OUTCOMES[0]] / self.cases if self.cases else 1.0


@dataclass
class Evaluation:
    scores: dict[str, CodeScore]
    refusals: dict[str, Refusals]
    good_photos: int
    good_failed: list[str]
    cases: int
    flagged: dict[str, set[str]]

    @property
    def good_failed_share(self) -> float:
        return len(self.good_failed) / self.good_photos if self.good_photos else 0.0


def outcome(refuse: str, failed: set[str], warned: set[str]) -> str:
    if refuse in failed:
        return OUTCOMES[0]
    if failed:
        return OUTCOMES[1]
    return OUTCOMES[2] if refuse in warned else OUTCOMES[3]


def evaluate(cases: list[PhotoCase] | None = None) -> Evaluation:
    cases = load_cases() if cases is None else cases
    scores = {code: CodeScore(code) for code in (*FAIL_CODES, *WARN_CODES)}
    refusals: dict[str, Refusals] = {}
    good, good_failed = 0, []
    flagged_by_case: dict[str, set[str]] = {}
    for case in cases:
        report = check_photo(case.data)
        failed = {f.code for f in report.findings if f.severity is Severity.FAIL}
        flagged = {f.code for f in report.findings if f.severity is not Severity.INFO}
        flagged_by_case[case.name] = flagged
        for code, score in scores.items():
            if code in case.truth:
                if code in flagged:
                    score.tp += 1
                else:
                    score.fn += 1
                    score.missed.append(case.name)
            elif code in flagged and code not in case.ignore:
                score.fp += 1
                score.false_alarms.append(case.name)
        if case.refuse:
            tally = refusals.setdefault(case.refuse, Refusals(case.refuse))
            got = outcome(case.refuse, failed, flagged - failed)
            tally.outcomes[got] += 1
            if got != OUTCOMES[0]:
                tally.wrong.append(f"{case.name} ({', '.join(sorted(failed)) or got})")
        elif not case.truth & set(FAIL_CODES):  # a photo nothing should block
            good += 1
            if not report.ok:
                good_failed.append(f"{case.name} ({', '.join(sorted(failed))})")
    return Evaluation(scores, refusals, good, good_failed, len(cases), flagged_by_case)

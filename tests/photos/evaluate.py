"""Score the photo checks on the labelled set: per-code precision and recall."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.photo import Severity, check_photo

from .build import PhotoCase, load_cases

FAIL_CODES = ("unreadable", "format", "resolution", "no_face", "multiple_people")
WARN_CODES = ("framing", "not_frontal", "lighting", "exposure", "blur", "glasses", "headwear", "face_covered")


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
class Evaluation:
    scores: dict[str, CodeScore]
    good_photos: int
    good_failed: list[str]
    cases: int
    flagged: dict[str, set[str]]

    @property
    def good_failed_share(self) -> float:
        return len(self.good_failed) / self.good_photos if self.good_photos else 0.0


def evaluate(cases: list[PhotoCase] | None = None) -> Evaluation:
    cases = load_cases() if cases is None else cases
    scores = {code: CodeScore(code) for code in (*FAIL_CODES, *WARN_CODES)}
    good, good_failed = 0, []
    flagged_by_case: dict[str, set[str]] = {}
    for case in cases:
        report = check_photo(case.data)
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
        if not case.truth & set(FAIL_CODES):
            good += 1
            if not report.ok:
                good_failed.append(case.name)
    return Evaluation(scores, good, good_failed, len(cases), flagged_by_case)

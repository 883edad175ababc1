from bot.photo import Severity
from bot.tavus_verdict import REJECTIONS, verdict_from_answer


def test_pass_has_no_findings() -> None:
    v = verdict_from_answer({"passed": True, "checks": [{"id": "face", "label": "Face", "passed": True}]})
    assert v.passed and v.findings == [] and not v.autofix_helps


def test_rejection_codes_found_anywhere_and_mapped() -> None:
    answer = {
        "passed": False,
        "checks": [{"id": "people", "label": "Phx4MultipleForegroundPeopleError: two faces", "passed": False}],
        "details": {"reason": "AppearsUnder18Error"},
    }
    v = verdict_from_answer(answer)
    codes = [f.code for f in v.findings]
    assert codes == ["Phx4MultipleForegroundPeopleError", "AppearsUnder18Error"]
    assert all(f.severity is Severity.FAIL for f in v.findings)
    assert "multiple_people" in v.findings[0].message and not v.autofix_helps


def test_unknown_failed_check_gets_tavus_prefix_and_fixable_ones_offer_the_fixer() -> None:
    v = verdict_from_answer({"passed": False, "checks": [{"id": "lighting_ok", "label": "Light", "passed": False}]})
    assert [f.code for f in v.findings] == ["tavus_lighting_ok"] and not v.autofix_helps
    v = verdict_from_answer(
        {
            "passed": False,
            "checks": [{"id": "x", "label": "HeadNotFullyInFrameError", "passed": False}],
            "details": "HeadNotFullyInFrameError",
        }
    )
    assert [f.code for f in v.findings] == ["HeadNotFullyInFrameError"] and v.autofix_helps
    v = verdict_from_answer({"passed": False, "details": "ImageQualityError"})
    assert [f.code for f in v.findings] == ["ImageQualityError"] and v.autofix_helps


def test_rejected_without_reasons_still_blocks_and_malformed_is_an_error() -> None:
    v = verdict_from_answer({"passed": False})
    assert not v.passed and v.findings[0].code == "tavus_rejected"
    for bad in ({}, {"passed": "yes"}, [1, 2]):
        try:
            verdict_from_answer(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_every_documented_code_has_advice() -> None:
    assert len(REJECTIONS) == 11
    assert all(r.advice.endswith(".") for r in REJECTIONS.values())

"""Slack's Block Kit limits, checked on every payload the bot sends (see slack-platform.md)."""

from __future__ import annotations

import json
from typing import Any

LIMITS = {
    "message_blocks": 50,
    "view_blocks": 100,
    "section_text": 3000,
    "header_text": 150,
    "button_text": 75,
    "button_value": 2000,
    "select_options": 100,
    "option_text": 75,
    "option_value": 150,
    "checkbox_options": 10,
    "context_elements": 10,
    "id": 255,
    "fallback_text": 40000,
    "modal_title": 24,
}


def _text(obj: dict[str, Any] | None) -> str:
    return str((obj or {}).get("text", ""))


def _check_element(el: dict[str, Any], problems: list[str]) -> None:
    if len(str(el.get("action_id", ""))) > LIMITS["id"]:
        problems.append("action_id too long")
    kind = el.get("type")
    if kind == "button":
        if len(_text(el.get("text"))) > LIMITS["button_text"]:
            problems.append(f"button text over {LIMITS['button_text']}: {_text(el.get('text'))!r}")
        if len(str(el.get("value", ""))) > LIMITS["button_value"]:
            problems.append("button value too long")
    if kind in ("static_select", "checkboxes"):
        options = el.get("options") or []
        limit = LIMITS["select_options"] if kind == "static_select" else LIMITS["checkbox_options"]
        if not options or len(options) > limit:
            problems.append(f"{kind} has {len(options)} options")
        for o in options:
            if len(_text(o.get("text"))) > LIMITS["option_text"] and o["text"].get("type") == "plain_text":
                problems.append("option text too long")
            if len(str(o.get("value", ""))) > LIMITS["option_value"]:
                problems.append("option value too long")
        initial = el.get("initial_option")
        if initial and initial not in options:
            problems.append("initial_option is not one of the options")


def problems_in(blocks: list[dict[str, Any]] | None, *, view: bool = False) -> list[str]:
    problems: list[str] = []
    blocks = blocks or []
    limit = LIMITS["view_blocks"] if view else LIMITS["message_blocks"]
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks (limit {limit})")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("duplicate block_id")
    for b in blocks:
        kind = b.get("type")
        if kind == "section":
            if len(_text(b.get("text"))) > LIMITS["section_text"]:
                problems.append("section text over 3000")
            if b.get("accessory"):
                _check_element(b["accessory"], problems)
        elif kind == "header" and len(_text(b.get("text"))) > LIMITS["header_text"]:
            problems.append("header too long")
        elif kind == "context" and len(b.get("elements") or []) > LIMITS["context_elements"]:
            problems.append("context has too many elements")
        elif kind == "actions":
            ids = [e.get("action_id") for e in b.get("elements") or []]
            if len(ids) != len(set(ids)):
                problems.append("duplicate action_id in one block")
            for el in b.get("elements") or []:
                _check_element(el, problems)
        elif kind == "input":
            _check_element(b.get("element") or {}, problems)
    return problems


def problems_in_call(method: str, args: dict[str, Any]) -> list[str]:
    """Problems in one recorded Web API call's payload (messages and views)."""
    if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        found = problems_in(blocks)
        if not args.get("text"):
            found.append("no fallback text")
        elif len(str(args["text"])) > LIMITS["fallback_text"]:
            found.append("fallback text too long")
        return found
    if method in ("views.publish", "views.open"):
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        found = problems_in((view or {}).get("blocks"), view=True)
        if (view or {}).get("type") == "modal" and len(_text((view or {}).get("title"))) > LIMITS["modal_title"]:
            found.append("modal title too long")
        return found
    return []

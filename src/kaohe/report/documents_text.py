"""The wording of the official documents: their titles and sections, once for Word and PDF.

A document is a list of sections ``(kind, content)`` — addressee, heading, paragraph, table
(header, rows), signature — that each renderer lays out in its own way; the words are chosen
here only, so the .docx and the .pdf of a document always say the same thing.
"""

from __future__ import annotations

from typing import Any

from .document_content import Documents, FeedbackLetter, day_text

Section = tuple[str, Any]

# Chinese numbering of a document's parts: 一、二、三 …; (一)(二) for the items of a part.
PARTS = "一二三四五六七八九十"


def _part(docs: Documents, i: int, zh: str, en: str) -> Section:
    return ("heading", docs.words(f"{PARTS[i]}、{zh}", f"{i + 1}. {en}"))


def _item(docs: Documents, i: int, content: str) -> Section:
    content = _sentence(docs, content)
    return (
        "paragraph",
        docs.words(f"（{PARTS[i] if i < 10 else i + 1}）{content}", f"({i + 1}) {content}"),
    )


def _sentence(docs: Documents, content: str) -> str:
    """An English sentence starts with a capital ("commendation" is an action's name)."""
    return content[:1].upper() + content[1:] if docs.words.lang == "en" else content


def _names(docs: Documents, names: list[str]) -> str:
    return docs.words("、", ", ").join(names) if names else docs.words("无", "none")


def circular_title(docs: Documents) -> str:
    return docs.words(
        f"关于{docs.year_phrase}{docs.scheme_title}结果的通报",
        f"Circular on the results of the {docs.scheme_title}{docs.year_phrase}",
    )


def letter_title(docs: Documents, letter: FeedbackLetter) -> str:
    return docs.words(
        f"关于{docs.year_phrase}{docs.scheme_title}结果的反馈意见",
        f"Feedback on the results of the {docs.scheme_title}{docs.year_phrase}",
    )


def circular_sections(docs: Documents) -> list[Section]:
    w, authority, circular = docs.words, docs.issuance.authority, docs.circular
    sections: list[Section] = [
        ("addressee", w("各有关单位：", "To the units concerned:")),
        (
            "paragraph",
            w(
                f"根据{docs.scheme_title}有关规定，{authority}组织开展了{docs.year_phrase}考核工作。"
                "经综合评价，现将考核结果通报如下。",
                f"Under the rules of the {docs.scheme_title}, {authority} has carried out the "
                f"assessment{docs.year_phrase}. The results are announced as follows.",
            ),
        ),
        _part(docs, 0, "考核结果", "Results"),
    ]
    for i, group in enumerate(circular.groups):
        sections.append(
            _item(
                docs,
                i,
                w(
                    f"考核等次为“{group.grade}”的（{len(group.units)}个）：{_names(docs, group.units)}。",
                    f"Graded “{group.grade}” ({len(group.units)}): {_names(docs, group.units)}.",
                ),
            )
        )
    if circular.ungraded:
        shown = [
            name + (w(f"（{why}）", f" ({why})") if why else "") for name, why in circular.ungraded
        ]
        sections.append(
            _item(
                docs,
                len(circular.groups),
                w(
                    f"不予评定等次的（{len(shown)}个）：{_names(docs, shown)}。",
                    f"No grade awarded ({len(shown)}): {_names(docs, shown)}.",
                ),
            )
        )
    sections.append(_part(docs, 1, "结果运用", "Use of the results"))
    if not circular.consequences:
        sections.append(
            ("paragraph", w("本次考核结果不涉及结果运用措施。", "The results lead to no measures."))
        )
    for i, consequence in enumerate(circular.consequences):
        detail = (
            w(f"（{consequence.detail}）", f" ({consequence.detail})") if consequence.detail else ""
        )
        sections.append(
            _item(
                docs,
                i,
                f"{consequence.action}{detail}{w('：', ': ')}{_names(docs, consequence.units)}{w('。', '.')}",
            )
        )
    sections += [
        _part(docs, 2, "有关要求", "Requirements"),
        (
            "paragraph",
            w(
                f"各有关单位要对照反馈意见逐项抓好整改，在整改期限内将整改情况书面报送{authority}。",
                "The units concerned shall rectify each problem named in their feedback letter and "
                f"report the rectification in writing to {authority} within the deadlines set.",
            ),
        ),
        ("signature", None),
        ("heading", w("附件：考核结果一览表", "Annex: results by unit")),
        (
            "table",
            (
                [w("代码", "Code"), w("考核对象", "Unit"), w("考核等次", "Grade")],
                [list(row) for row in circular.table],
            ),
        ),
    ]
    return sections


def letter_sections(docs: Documents, letter: FeedbackLetter) -> list[Section]:
    w, authority = docs.words, docs.issuance.authority
    sections: list[Section] = [
        ("addressee", w(f"{letter.name}：", f"To {letter.name}:")),
        (
            "paragraph",
            w(
                f"根据{docs.scheme_title}有关规定，{authority}对你单位{docs.year_phrase}工作进行了考核。"
                "现将考核结果和发现的问题反馈如下。",
                f"Under the rules of the {docs.scheme_title}, {authority} has assessed your "
                f"work{docs.year_phrase}. The result and the problems found are as follows.",
            ),
        ),
        _part(docs, 0, "考核结果", "Result"),
    ]
    if letter.graded:
        result = w(
            f"你单位综合得分 {letter.score} 分，考核等次为“{letter.grade}”。",
            f"Your overall score is {letter.score} points; your grade is “{letter.grade}”.",
        )
        if letter.rank:
            total = len(docs.circular.table)
            result += w(
                f"在 {total} 个考核对象中排名第 {letter.rank} 位。",
                f" You rank {letter.rank} of {total}.",
            )
    else:
        result = w(
            "你单位本次考核不予评定等次，原因见下文所列问题。",
            "No grade is awarded to you this time; the reasons are among the problems below.",
        )
    sections.append(("paragraph", result))
    if letter.scores:
        sections.append(
            (
                "table",
                (
                    [w("考核内容", "Area"), w("得分", "Points"), w("满分", "Maximum")],
                    [[s.label, s.points, s.max_points] for s in letter.scores],
                ),
            )
        )
    sections.append(_part(docs, 1, "存在的问题", "Problems found"))
    if not letter.problems:
        sections.append(
            (
                "paragraph",
                w("考核未发现需要反馈的问题。", "The assessment found no problem to report."),
            )
        )
    sections += [_item(docs, i, problem) for i, problem in enumerate(letter.problems)]
    sections.append(_part(docs, 2, "整改要求", "Rectification required"))
    if not letter.requirements:
        sections.append(
            (
                "paragraph",
                w("本次考核未提出限期整改要求。", "No rectification with a deadline is required."),
            )
        )
    for i, requirement in enumerate(letter.requirements):
        due = ""
        if requirement.deadline is not None:
            day = day_text(requirement.deadline, docs.words)
            due = w(f"。整改期限：{day}前", f". Deadline: {day}")
        sections.append(_item(docs, i, f"{requirement.text}{due}{w('。', '.')}"))
    part = 3
    if letter.consequences:
        sections.append(_part(docs, part, "结果运用", "Use of the result"))
        sections += [_item(docs, i, c + w("。", ".")) for i, c in enumerate(letter.consequences)]
        part += 1
    if letter.notes:
        sections.append(_part(docs, part, "有关说明", "Notes"))
        sections += [_item(docs, i, note) for i, note in enumerate(letter.notes)]
    sections.append(("signature", None))
    return sections

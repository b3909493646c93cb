"""The scheme (考核办法) as typed data: what an assessor writes in YAML, validated by pydantic.

Everything an assessor can argue about lives here as data: indicators, weights, points, targets,
grade bands, vetoes, bonuses, outcomes. The engine reads these models and nothing else.
Cross-references (names in expressions, indicators in the tree, grades in vetoes) are checked by
``scheme.check`` once the model is built.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..i18n import text

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
ColumnType = Literal["text", "integer", "number", "boolean", "date"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(Model):
    """A value the policy texts leave open (or only seed), with its default and how sure we are.

    Elsewhere in the scheme ``$name`` stands for the value, and expressions may use the name.
    """

    value: Any
    status: Literal["confirmed", "seed", "open"] = "open"
    label: str | None = None
    note: str | None = None


class Assesses(Model):
    """Which units the scheme grades: a kind (region, bank, project …) and a level."""

    kind: str = "region"
    level: str


class Attribute(Model):
    """A unit attribute the scheme reads from units.csv (region, peer group, a per-unit target)."""

    type: ColumnType = "text"
    label: str | None = None
    label_en: str | None = None


class Source(Model):
    """A declared table of records; each row belongs to one unit through ``unit_column``.

    A run refuses a source with no rows for its period unless it is ``optional`` (no rows is then
    a statement: nothing to report, e.g. no audit findings); ``one_row_per_unit`` says the source
    is a report with one row per unit (and period), so a second row is an error, not a sum.
    """

    label: str | None = None
    label_en: str | None = None
    unit_column: str = "unit"
    columns: dict[Identifier, ColumnType] = Field(default_factory=dict)
    optional: bool = False
    one_row_per_unit: bool = False


class Measure(Model):
    """An aggregate of one source per unit (基础数据)."""

    source: str
    expr: str
    label: str | None = None
    label_en: str | None = None
    rollup: Literal["auto", "sum", "min", "max", "recompute"] = "auto"
    # "%": the measure is a ratio (0.015) shown as a percentage (1.50 %); other units are shown as is
    unit_of_measure: str | None = None


class Target(Model):
    """A per-unit target read from a units.csv column."""

    column: str


class MinMax(Model):
    method: Literal["minmax"]


class Goalposts(Model):
    """Fixed goalposts: (x - min) / (max - min), x capped to the goalposts unless cap is false."""

    method: Literal["goalposts"]
    min: float
    max: float
    log: bool = False
    cap: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Goalposts:
        if self.max <= self.min:
            raise ValueError(text("goalposts 需要 max > min", "goalposts need max > min"))
        if self.log and self.min <= 0:
            raise ValueError(text("对数 goalposts 需要 min > 0", "log goalposts need min > 0"))
        return self


class TargetAchievement(Model):
    """Achievement of a target: value / target (or target / value when lower is better), capped."""

    method: Literal["target"]
    cap: float = 1.0
    floor: float = 0.0


class ScoreTable(Model):
    """A decision table: rows [from, to, share] with from <= value < to; null is open-ended.

    ``share`` is the share of the indicator's points (0 to 1) awarded for values in the range.
    """

    method: Literal["table"]
    rows: list[tuple[float | None, float | None, float]]

    @field_validator("rows")
    @classmethod
    def _not_empty(cls, rows: list) -> list:
        if not rows:
            raise ValueError(text("评分表至少需要一行", "a score table needs at least one row"))
        for low, high, _ in rows:
            if low is not None and high is not None and high <= low:
                raise ValueError(
                    text(
                        f"行 [{low}, {high}, …]：上限（to）必须大于下限（from）",
                        f"row [{low}, {high}, …]: 'to' must be greater than 'from'",
                    )
                )
        return rows


class ZScore(Model):
    """Standardization over the assessed units, mapped to mean + sd * z (default 0 and 1)."""

    method: Literal["zscore"]
    mean: float = 0.0
    sd: float = 1.0


class PercentileRank(Model):
    """Percentile rank among the assessed units, 0 (worst) to 1 (best), ties averaged."""

    method: Literal["percentile"]


class Threshold(Model):
    """Pass/fail: full marks when the value reaches the threshold in the better direction."""

    method: Literal["threshold"]
    value: float
    inclusive: bool = True


ScoringRule = Annotated[
    MinMax | Goalposts | TargetAchievement | ScoreTable | ZScore | PercentileRank | Threshold,
    Field(discriminator="method"),
]


class Interval(Model):
    """The confidence interval of an estimated indicator: expressions over measures, per unit."""

    low: str
    high: str
    level: float = Field(default=0.95, gt=0, lt=1)


class Indicator(Model):
    """A formula over measures and unit attributes, with a direction and a scoring rule (指标)."""

    label: str | None = None
    label_en: str | None = None
    expr: str
    direction: Literal["higher", "lower"] = "higher"
    unit_of_measure: str | None = None
    target: float | Target | None = None
    score: ScoringRule
    weight: float | None = Field(default=None, gt=0)
    points: float | None = Field(default=None, gt=0)
    estimated: bool = False  # an estimate from a sample (its sampling error matters downstream)
    interval: Interval | None = None  # for an estimate: where its confidence interval comes from
    # Missing, this indicator withholds the unit's grade even where its node may re-weight.
    required: bool = False


class Flag(Model):
    """A named condition over a unit's values, for vetoes, outcomes and the explanation."""

    when: str
    label: str | None = None
    label_en: str | None = None


Aggregation = Literal["arithmetic", "geometric", "harmonic", "minimum"]


class Reweight(Model):
    """Missing children are left out and the others re-weighted, but only while the missing
    children hold at most ``at_most`` of the node's nominal points; beyond that, withhold."""

    reweight: Literal[True] = True
    at_most: float = Field(gt=0, le=1)


# What a missing child means for its node (and so for the unit's grade):
# - withhold: the unit gets no grade (不予评定), the default: a grade is evidence;
# - reweight / {reweight: true, at_most: s}: the others' weights grow (up to s of the points);
# - zero: the child counts as zero points (e.g. a report not submitted scores nothing);
# - fail: the run stops with an error.
MissingPolicy = Literal["withhold", "reweight", "zero", "fail"] | Reweight


class Node(Model):
    """A weighted node of the indicator tree (维度 / 一级指标), of any depth."""

    id: Identifier
    label: str | None = None
    label_en: str | None = None
    weight: float | None = Field(default=None, gt=0)
    points: float | None = Field(default=None, gt=0)
    aggregate: Aggregation = "arithmetic"
    missing: MissingPolicy = "withhold"
    children: list[Identifier | Node]

    @field_validator("children")
    @classmethod
    def _not_empty(cls, children: list) -> list:
        if not children:
            raise ValueError(text("节点至少需要一个下级", "a node needs at least one child"))
        return children


class Tree(Model):
    """The root of the indicator tree: how the top nodes combine, and the scale of the total."""

    aggregate: Aggregation = "arithmetic"
    missing: MissingPolicy = "withhold"
    scale: float | None = Field(default=None, gt=0)  # default: sum of top points, or 100
    children: list[Identifier | Node]


class Adjustment(Model):
    """A bonus or deduction item (加减分): points (a number or expression), when a condition holds."""

    id: Identifier
    label: str | None = None
    label_en: str | None = None
    kind: Literal["bonus", "deduction"]
    when: str | None = None
    points: float | str
    cap: float | None = Field(default=None, ge=0)


class Adjustments(Model):
    bonus_cap: float | None = Field(default=None, ge=0)
    deduction_cap: float | None = Field(default=None, ge=0)
    items: list[Adjustment] = Field(default_factory=list)


class Veto(Model):
    """A one-vote veto (一票否决): a condition that fixes the grade or caps it.

    A condition whose inputs are missing is undetermined, never "not met": missing evidence must
    not let a unit escape a veto. ``when_missing`` says what an undetermined veto does: withhold
    the grade (the default), apply the veto, or ignore it.
    """

    id: Identifier
    when: str
    grade: str | None = None
    grade_at_most: str | None = None
    reason: str
    reason_en: str | None = None
    when_missing: Literal["withhold", "apply", "ignore"] = "withhold"

    @model_validator(mode="after")
    def _one_effect(self) -> Veto:
        if (self.grade is None) == (self.grade_at_most is None):
            raise ValueError(
                text(
                    "一票否决须且只须设置 grade 或 grade_at_most 之一",
                    "a veto sets exactly one of 'grade' or 'grade_at_most'",
                )
            )
        return self


class Grading(Model):
    """How a score becomes a grade. ``bands`` are [cut, grade] pairs, best grade first.

    - bands: cut is an absolute score (score >= cut);
    - peer_sd: cut is k in mean + k * sd of the peer group's scores;
    - quantiles: cut is a cumulative share of the (peer group's) units, by rank;
    - top_n: cut is a number of units, by rank.
    The last band's cut is null: everyone else.
    """

    method: Literal["bands", "peer_sd", "quantiles", "top_n"] = "bands"
    bands: list[tuple[float | None, str]]
    peer_group: str | None = None
    sd: Literal["population", "sample"] = "population"
    labels_en: dict[str, str] = Field(default_factory=dict)

    @field_validator("bands")
    @classmethod
    def _bands(cls, bands: list) -> list:
        if not bands:
            raise ValueError(text("评级至少需要一个档次", "grading needs at least one band"))
        if bands[-1][0] is not None:
            raise ValueError(
                text(
                    "最后一档的分界必须为 null（其余全部归入该档）",
                    "the last band's cut must be null (it takes everyone else)",
                )
            )
        if any(cut is None for cut, _ in bands[:-1]):
            raise ValueError(
                text("只有最后一档的分界可以为 null", "only the last band may have a null cut")
            )
        grades = [grade for _, grade in bands]
        if len(set(grades)) != len(grades):
            raise ValueError(
                text("每个等次只能出现在一个档次中", "each grade may appear in only one band")
            )
        return bands

    @property
    def grades(self) -> list[str]:
        """Grades from best to worst."""
        return [grade for _, grade in self.bands]


UnitStatus = Literal["graded", "withheld", "failed"]


class Coverage(Model):
    """A minimum of evidence (e.g. at least 240 checked households, or every assigned check done).

    ``when`` is a condition over measures and attributes that holds when the evidence suffices;
    false or unknown, the ``nodes`` (indicators or nodes; all when empty) are not backed by data,
    and the unit's grade is withheld (``otherwise: withhold``) or those values count as missing,
    for their nodes' missing-data rules to decide (``otherwise: missing``).
    """

    id: Identifier
    when: str
    nodes: list[Identifier] = Field(default_factory=list)
    otherwise: Literal["withhold", "missing"] = "withhold"
    reason: str
    reason_en: str | None = None


class Outcome(Model):
    """A condition over grade, score and flags → named actions with parameters (结果应用).

    A rule applies to units of one ``status``: graded units (the default) or units whose grade
    was withheld or failed, which can only be asked for evidence, never rewarded or sanctioned.
    """

    when: str = "true"
    status: UnitStatus = "graded"
    actions: list[dict[str, dict[str, Any]]]

    @field_validator("actions")
    @classmethod
    def _single_key(cls, actions: list) -> list:
        for action in actions:
            if len(action) != 1:
                raise ValueError(
                    text(
                        "每个动作写成一个键，例如 {interview: {who: …}}",
                        "write each action as one key, e.g. {interview: {who: …}}",
                    )
                )
        return actions


class Years(Model):
    """The assessment years a scheme belongs to (its era): e.g. the campaign's schemes 2016–2020,
    the transition's from 2021. ``last`` null: still in force."""

    first: int = Field(ge=1900, le=2999)
    last: int | None = Field(default=None, ge=1900, le=2999)

    @model_validator(mode="after")
    def _ordered(self) -> Years:
        if self.last is not None and self.last < self.first:
            raise ValueError(
                text(
                    f"years：last（{self.last}）早于 first（{self.first}）",
                    f"years: last ({self.last}) is before first ({self.first})",
                )
            )
        return self

    def covers(self, year: int) -> bool:
        return self.first <= year and (self.last is None or year <= self.last)

    def label(self) -> str:
        return f"{self.first}–{self.last if self.last is not None else ''}"


class Scheme(Model):
    """A versioned assessment scheme (考核办法)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    title_en: str | None = None
    version: str
    policy_source: str
    years: Years | None = None  # the era the scheme applies to (None: not stated)
    assesses: Assesses
    unit_attributes: dict[Identifier, Attribute] = Field(default_factory=dict)
    parameters: dict[Identifier, Parameter] = Field(default_factory=dict)
    sources: dict[Identifier, Source] = Field(default_factory=dict)
    measures: dict[Identifier, Measure] = Field(default_factory=dict)
    indicators: dict[Identifier, Indicator]
    flags: dict[Identifier, Flag] = Field(default_factory=dict)
    tree: Tree
    adjustments: Adjustments = Field(default_factory=Adjustments)
    vetoes: list[Veto] = Field(default_factory=list)
    coverage: list[Coverage] = Field(default_factory=list)
    grading: Grading
    outcomes: list[Outcome] = Field(default_factory=list)

    @field_validator("tree", mode="before")
    @classmethod
    def _tree_list(cls, value: Any) -> Any:
        # A plain list of top nodes is the common case; the mapping form sets root options.
        if isinstance(value, list):
            return {"children": value}
        return value

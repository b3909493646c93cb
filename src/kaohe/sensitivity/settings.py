"""What a sensitivity analysis varies, as given on the command line: draws, seed, weights, methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..i18n import text
from ..scheme import model as m

# Alternative rules must need no parameters of their own and keep scores on the 0-to-1 scale the
# points and grade bands are written for; goalposts, targets, tables and thresholds need scheme
# data, and z-scores are unbounded.
ALTERNATIVE_RULES = {
    "minmax": m.MinMax(method="minmax"),
    "percentile": m.PercentileRank(method="percentile"),
}
NORMALIZATIONS = tuple(ALTERNATIVE_RULES)
AGGREGATIONS = ("arithmetic", "geometric", "harmonic", "minimum")
SAMPLING = ("auto", "intervals", "binomial", "none")


@dataclass(frozen=True)
class WeightPerturbation:
    """How each node's children's shares vary around the nominal ones.

    ``uniform``: each share times U(1 - amount, 1 + amount), then re-normalized (COINr's default
    style); ``dirichlet``: shares ~ Dirichlet(amount × nominal shares), whose mean is the nominal
    shares and whose spread shrinks as the concentration ``amount`` grows; ``none``: fixed.
    """

    kind: str = "uniform"
    amount: float = 0.2

    @property
    def active(self) -> bool:
        return self.kind != "none" and not (self.kind == "uniform" and self.amount == 0)

    def describe(self) -> str:
        if self.kind == "none":
            return "none"
        return f"{self.kind}:{self.amount:g}"


@dataclass(frozen=True)
class Settings:
    draws: int = 1000
    seed: int | None = None  # None: the run's recorded seed
    weights: WeightPerturbation = field(default_factory=WeightPerturbation)
    normalizations: tuple[str, ...] = ()  # alternatives drawn besides the scheme's own rules
    aggregations: tuple[str, ...] = ()  # alternatives drawn besides each node's own method
    sampling: str = "auto"
    estimates: Path | None = None
    threshold: float = 0.8  # flag a unit when its nominal grade is less likely than this

    def __post_init__(self) -> None:
        if self.draws < 2:
            raise UsageError(text("--draws 至少为 2", "--draws must be at least 2"))
        if not 0 < self.threshold <= 1:
            raise UsageError(text("--threshold 应在 (0, 1] 之间", "--threshold must be in (0, 1]"))
        if self.sampling not in SAMPLING:
            raise UsageError(
                text(
                    f"--sampling 应为 {'、'.join(SAMPLING)} 之一，而不是 {self.sampling!r}",
                    f"--sampling takes one of {', '.join(SAMPLING)}, not {self.sampling!r}",
                )
            )


def parse_weights(spec: str) -> WeightPerturbation:
    """``uniform:0.2`` (±20 %), ``dirichlet:50`` (concentration) or ``none``."""
    spec = spec.strip().lower()
    if spec in ("none", "fixed", "off"):
        return WeightPerturbation("none", 0.0)
    kind, _, raw = spec.partition(":")
    try:
        amount = float(raw) if raw else {"uniform": 0.2, "dirichlet": 50.0}[kind]
    except (KeyError, ValueError):
        amount = None
    valid = amount is not None and (
        kind == "uniform" and 0 <= amount < 1 or kind == "dirichlet" and amount > 0
    )
    if not valid:
        raise UsageError(
            text(
                f"--weights 应写成 uniform:X（0 ≤ X < 1，权重上下浮动 X）、dirichlet:C（C > 0）"
                f"或 none，而不是 {spec!r}",
                f"--weights takes uniform:X (0 <= X < 1, each weight varies by ±X), "
                f"dirichlet:C (C > 0) or none, not {spec!r}",
            )
        )
    return WeightPerturbation(kind, amount)


def parse_methods(items: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``normalize:minmax,percentile``, ``aggregate:geometric`` (repeatable) → the alternatives."""
    normalizations: list[str] = []
    aggregations: list[str] = []
    for item in items:
        step = ""
        for part in filter(None, (p.strip() for p in item.split(","))):
            # "normalize:minmax,percentile": a bare method belongs to the step before it
            if ":" in part:
                step, _, method = part.partition(":")
            else:
                method = part
            allowed = {"normalize": NORMALIZATIONS, "aggregate": AGGREGATIONS}.get(step)
            if allowed is None or method not in allowed:
                raise UsageError(
                    text(
                        f"--methods 不认识 {part!r}；可用：normalize:{'|'.join(NORMALIZATIONS)}，"
                        f"aggregate:{'|'.join(AGGREGATIONS)}",
                        f"--methods does not know {part!r}; use normalize:"
                        f"{'|'.join(NORMALIZATIONS)} or aggregate:{'|'.join(AGGREGATIONS)}",
                    )
                )
            chosen = normalizations if step == "normalize" else aggregations
            if method not in chosen:
                chosen.append(method)
    return tuple(normalizations), tuple(aggregations)

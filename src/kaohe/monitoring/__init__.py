"""Prevention of return to poverty (防返贫动态监测): rules as data, evaluated over every household."""

from .evaluate import MonitoringRun, evaluate_monitoring
from .monitoring_rules import DEFAULT_RULES, MonitoringRules, load_rules

__all__ = ["DEFAULT_RULES", "MonitoringRules", "MonitoringRun", "evaluate_monitoring", "load_rules"]

"""The alert engine: pure state machines that turn matched mentions into alert decisions.

The listen flow builds one :class:`Observation` per (rule, matched mention) with :func:`observe`,
calls :meth:`AlertEngine.step` with an explicit ``now``, stores the decisions and persists
:meth:`AlertEngine.dump_state`. Semantics: docs/alerts.md, "Rules and kinds".
"""

from alerts.engine.engine import AlertEngine, RuleEngine, keys_of
from alerts.engine.model import Decision, DecisionKind, Observation, Step
from alerts.engine.observe import group_values, observe
from alerts.engine.state import EngineState, KeyState, RuleState, fingerprint

__all__ = [
    "AlertEngine",
    "Decision",
    "DecisionKind",
    "EngineState",
    "KeyState",
    "Observation",
    "RuleEngine",
    "RuleState",
    "Step",
    "fingerprint",
    "group_values",
    "keys_of",
    "observe",
]

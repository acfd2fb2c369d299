"""The rule engine: every rule against every resource of the kinds it targets."""

from __future__ import annotations

from scanner.engine.conditions import ConditionError, Evaluator
from scanner.engine.registry import Outcome, ResourceIndex
from scanner.model import Finding, InputError, Location, Resource, Rule, Status


def evaluate_rules(rules: list[Rule], resources: list[Resource]) -> tuple[list[Finding], list[InputError]]:
    """Findings of every applicable (rule, resource) pair, in rule then resource order.

    A rule whose condition is broken (``ConditionError``: an unknown operator, a bad pattern) is
    an error of that rule's policy file, and the other rules still run. A rule that meets data it
    cannot use (a named check raising on one resource: a partial snapshot, a value of an
    unexpected shape) is *unknown* on that resource, with the reason: the input, not the
    policy, is what is wrong, and every other resource is still judged.
    """
    index = ResourceIndex(resources)
    findings: list[Finding] = []
    errors: list[InputError] = []
    for rule in rules:
        evaluator = Evaluator(rule.parameters, index)
        try:
            for target in rule.targets:
                for kind in target.resources:
                    for res in index.by_kind(kind):
                        try:
                            findings.extend(_judge(rule, target.when, target.condition, res, evaluator))
                        except ConditionError:
                            raise
                        except Exception as exc:  # noqa: BLE001 - data the rule cannot use
                            detail = f"the rule cannot use this data: {type(exc).__name__}: {exc}"
                            findings.append(_finding(rule, res, Status.UNKNOWN, Outcome(None, detail=detail)))
        except ConditionError as exc:
            errors.append(InputError(rule.source_file or rule.id, f"rule {rule.id} failed: {exc}"))
        except Exception as exc:  # noqa: BLE001 - a broken check must not stop the other rules
            errors.append(
                InputError(rule.source_file or rule.id, f"rule {rule.id} failed: {type(exc).__name__}: {exc}")
            )
    return findings, errors


def _judge(rule: Rule, when: dict | None, cond: dict, res: Resource, ev: Evaluator) -> list[Finding]:
    expansion = res.context.get("unknown_expansion")
    if expansion:
        # A stand-in for instances whose number (count / for_each) is unknown: it may stand for
        # none at all, so no rule can pass or fail on it.
        return [_finding(rule, res, Status.UNKNOWN, Outcome(None, detail=f"instances unknown: {expansion}"))]
    missing = res.context.get("not_collected")
    if missing:
        # A live object that was listed but not readable, or a stand-in for a type that was not
        # collected: nothing about it is known, so no rule can pass or fail on it.
        return [_finding(rule, res, Status.UNKNOWN, Outcome(None, detail=str(missing)))]
    if when is not None:
        applies = ev.run(when, res)
        if applies.result is False:
            return []
        if applies.result is None:
            return [_finding(rule, res, Status.UNKNOWN, applies)]
    outcome = ev.run(cond, res)
    status = {True: Status.PASSED, False: Status.FAILED, None: Status.UNKNOWN}[outcome.result]
    found = [_finding(rule, res, status, outcome)]
    if status is Status.FAILED:
        found += [_finding(rule, res, status, extra) for extra in outcome.more if extra.result is False]
    return found


def _finding(rule: Rule, res: Resource, status: Status, outcome: Outcome) -> Finding:
    location: Location | None = outcome.location or res.provenance.locate(outcome.path)
    # A live object is named as a person knows it (compartment path and display name); its OCID
    # stays the address that reports print beside it.
    name = res.context.get("label") if res.provenance.source == "oci" else None
    name = name if isinstance(name, str) and name else res.address
    message = rule.message.replace("{address}", name)
    if status is Status.UNKNOWN:
        how = "cannot be decided" if res.provenance.source == "oci" else "cannot be decided statically"
        message = f"{name}: {how} ({outcome.detail or 'value unknown'})"
    elif status is Status.FAILED and outcome.detail and outcome.location is not None:
        message = f"{message} ({outcome.detail})"
    # Module code reached through calls: the call blocks are where a reader fixes the inputs.
    related = list(res.context.get("module_calls", ()))
    return Finding(rule.id, status, res, message, location, outcome.path, related=related)

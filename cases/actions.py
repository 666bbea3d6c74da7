"""The "add a record" links the case page offers, collected from the apps that own them.

``cases.record_urls.RECORD_ACTIONS`` are the step records of this app; other apps (the
afwegingskader) add theirs with ``register_case_actions`` from their ``AppConfig.ready`` so
that ``cases`` never imports them (architecture.md).
"""

_EXTRA: list[dict] = []


def register_case_actions(actions) -> None:
    for action in actions:
        if action not in _EXTRA:
            _EXTRA.append(action)


def case_actions() -> list[dict]:
    from .record_urls import RECORD_ACTIONS

    return [*RECORD_ACTIONS, *_EXTRA]

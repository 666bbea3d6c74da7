from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def pseudonym_key_check(app_configs, **kwargs):
    """Without the key no destruction can leave its tombstone: fail ``check --deploy``."""
    key = getattr(settings, "MELDCODE_PSEUDONYM_KEY", "")
    if len(key) < 32:
        return [Error("MELDCODE_PSEUDONYM_KEY is missing or shorter than 32 characters.",
                      hint="Set a long random secret; never change it once in use.",
                      id="retention.E001")]
    return []

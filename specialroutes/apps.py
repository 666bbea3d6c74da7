from django.apps import AppConfig


class SpecialRoutesConfig(AppConfig):
    name = "specialroutes"
    verbose_name = "Bijzondere routes"

    def ready(self):
        # The case timeline, change history and close guards learn about this app's records
        # through the registries of ``cases`` (cases never imports this app).
        from . import integration

        integration.register()
        integration.register_dossier_sections()

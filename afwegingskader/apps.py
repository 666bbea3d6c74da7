from django.apps import AppConfig


class AfwegingskaderConfig(AppConfig):
    name = "afwegingskader"

"""URLs of the step records and SOT meetings (included by ``cases.urls``)."""

urlpatterns: list = []

"""Case pages: list, open, detail, step moves, access, timeline, change history."""

urlpatterns: list = []

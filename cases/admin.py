"""No case model is registered in the admin, on purpose.

Case data (dossiers, step records, signals) is special-category personal data about
children: it is read only through the case pages, which check need-to-know access and write
the access log. The admin site is for technical administrators, who must not read case
content (issue #3: "superusers do not read case content through the app").
"""

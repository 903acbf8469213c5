"""Create and edit pages of the relationship book, one module per record family (views and
their forms side by side: ``<family>.py`` and ``<family>_forms.py``). They share the shape of
``crm.views``: fetch through ``crm.access``, validate a form, one service call, redirect."""

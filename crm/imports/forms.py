"""The upload form of the import page."""

from django import forms
from django.conf import settings

from crm.access import may_import_into_any_book
from crm.formatting import format_file_size
from crm.imports.formats import FORMATS
from crm.input_rules import CheckedForm


class ImportUploadForm(CheckedForm):
    record_type = forms.ChoiceField(label="What the file holds")
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with a header line. It is checked first; nothing is saved until you "
        "confirm.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [
            (key, key.replace("_", " ").capitalize())
            for key, fmt in FORMATS.items()
            if not fmt.admin_only or may_import_into_any_book(user)
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {format_file_size(upload.size)}; the web takes up to "
                f"{format_file_size(limit)}. Split it, or use manage.py import_csv."
            )
        return upload


class ImportConfirmForm(CheckedForm):
    """The *Import* button under a dry run; the tick is offered when the file was imported
    before."""

    import_again = forms.BooleanField(label="Import it again anyway", required=False)

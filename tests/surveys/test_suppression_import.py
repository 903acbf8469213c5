"""Importing contacts respects the e-mail suppression list: a warning in the preview, never a
silent re-enable; an imported opt-out suppresses the address."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.imports.services import records_import
from crm.models import Contact, EmailSuppression
from crm.services import contact_opt_out
from surveys.selectors import contacts_with_survey_status
from tests.factories import ContactFactory


def test_importing_an_opted_out_address_again_warns_and_never_re_enables_it(
    client, alice, admin_user, alices_client, import_jobs_run
):
    opted_out = ContactFactory(
        client=alices_client, name="Dana Reyes", email="dana.reyes@acme.example"
    )
    contact_opt_out(contact=opted_out)
    opted_out.delete()
    client.force_login(admin_user)

    with import_jobs_run():
        uploaded = client.post(
            reverse("imports:import"),
            {
                "record_type": "contacts",
                "file": SimpleUploadedFile(
                    "contacts.csv",
                    b"client,name,email\nAcme Logistics,Dana Reyes-Lee,DANA.REYES@acme.example\n",
                ),
            },
        )
    page = client.get(uploaded["Location"]).content.decode()
    assert "Line 2:" in page
    assert "DANA.REYES@acme.example is on the e-mail suppression list (opted out on" in page
    with import_jobs_run():
        client.post(uploaded["Location"] + "import/")

    imported = Contact.objects.get(name="Dana Reyes-Lee")
    status = contacts_with_survey_status().get(pk=imported.pk)
    assert "opted out" in status.survey_block
    assert EmailSuppression.objects.get().address == "dana.reyes@acme.example"


def test_an_imported_opt_out_suppresses_the_address(alice, admin_user, alices_client):
    text = (
        "client,name,email,opted_out_of_surveys,opted_out_at\n"
        "Acme Logistics,Eli Ezra, Eli@Acme.example ,true,2024-03-01T09:00:00+00:00\n"
    )
    report = records_import(record_type="contacts", data=text.encode(), by=admin_user)
    assert report.saved, report.errors
    listed = EmailSuppression.objects.get()
    assert (listed.address, listed.reason, listed.created_at.isoformat()) == (
        "eli@acme.example",
        "opted_out",
        "2024-03-01T09:00:00+00:00",
    )

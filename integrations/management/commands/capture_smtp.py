import signal
import threading

from django.core.management.base import BaseCommand

from integrations.mail.smtp import capture_server


class Command(BaseCommand):
    help = "Run the SMTP receiver for e-mail capture addresses until stopped (Procfile: mail)."

    def add_arguments(self, parser):
        parser.add_argument("--host", help="Default: MAIL_CAPTURE_SMTP_HOST")
        parser.add_argument("--port", type=int, help="Default: MAIL_CAPTURE_SMTP_PORT")

    def handle(self, *args, host=None, port=None, **options):
        server = capture_server(host, port)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        server.start()
        self.stdout.write(f"Capturing mail on {server.hostname}:{server.port}", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            server.stop()

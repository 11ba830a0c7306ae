"""The waitress server of `unmask serve`: loopback only, and its own errors answered as JSON like the app's."""
from __future__ import annotations

from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from companion.errors import server_error_response

# Waitress stops reading bodies at this many bytes over MAX_UPLOAD_BYTES (it answers 413 itself, as JSON
# through JsonErrorTask); smaller excesses reach the app, which answers 413 too_large.
BODY_SLACK_BYTES = 1024 * 1024


class JsonErrorTask(ErrorTask):
    """Waitress's answer to a request it refuses itself (body too large, bad Content-Length), as JSON."""

    def execute(self):
        """Write `{"error": {"code", "message"}}` with waitress's status; the connection closes after it."""
        error = self.request.error
        headers, body = server_error_response(error.code, error.body)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend(headers)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonChannel(HTTPChannel):
    """A waitress connection whose own errors are JSON."""

    error_task_class = JsonErrorTask


def build_server(app, address: str, port: int):
    """A waitress server for the app on one loopback address (not started)."""
    from waitress import create_server

    server = create_server(app, host=address, port=port, threads=app.config["SERVER_THREADS"],
                           max_request_body_size=app.config["MAX_UPLOAD_BYTES"] + BODY_SLACK_BYTES,
                           ident="unmask", clear_untrusted_proxy_headers=True)
    server.channel_class = JsonChannel
    return server

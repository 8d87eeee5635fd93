namespace Datapath.Cli.Lab;

/// <summary>
/// The backend pods' web server: a small python3 script answering every GET on each port it is given (the TCP ports
/// the scenario's Services send to the pod, and 22, so that a TCP 22 connection that is refused or answered proves the
/// policy did not drop it) with the page the seed's curl shows: <c>Praqma Network MultiTool (with NGINX) - backend1 - 10.222.1.47/24</c>.
/// Usage: <c>http_server.py POD IP/LEN READY_FILE PORT...</c>; it writes READY_FILE once every socket listens.
/// </summary>
internal static class LabHttpServer
{
    public const string Script =
        """
        # datapath lab: the backend pods' HTTP server (answers like the seed's Praqma multitool)
        import sys, threading, http.server, socketserver
        pod, cidr, ready, ports = sys.argv[1], sys.argv[2], sys.argv[3], [int(p) for p in sys.argv[4:]]
        page = ("Praqma Network MultiTool (with NGINX) - %s - %s\n" % (pod, cidr)).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
            def log_message(self, fmt, *args):
                sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))
                sys.stderr.flush()

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        servers = [Server(("0.0.0.0", port), Handler) for port in ports]
        for s in servers[1:]:
            threading.Thread(target=s.serve_forever, daemon=True).start()
        open(ready, "w").write("ready\n")
        servers[0].serve_forever()
        """;
}

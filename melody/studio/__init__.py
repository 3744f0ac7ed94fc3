"""melody studio (`melody serve`): compose, see and hear tunes in the browser, from this machine
alone. The page engraves with abcjs (vendored under static/vendor, pinned: see VENDORED), the
server renders audio as `melody play` does; both call the library the CLI calls."""

from __future__ import annotations

from melody.errors import ConfigError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
VENDORED = {"abcjs": "6.7.2"}  # npm pack abcjs@6.7.2 -> dist/abcjs-basic-min.js (MIT, see abcjs-LICENSE.md)
INSTALL_HINT = "the studio needs its extra: pip install 'melody[studio]' (from a checkout: pip install -e '.[studio]')"


def serve(host: str, port: int, models_dir: str | None = None, device: str = "cpu", ready=None) -> None:
    """Run the studio until interrupted; `ready(url)` is called once it listens."""
    try:
        import uvicorn

        from melody.studio.app import create_app
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    _check_free(host, port)  # before any model loads: a taken port is a one-line error
    shown = f"[{host}]" if ":" in host else host

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started and ready is not None:
                ready(f"http://{shown}:{port}/")

    config = uvicorn.Config(create_app(models_dir, device), host=host, port=port, log_level="warning")
    config.timeout_graceful_shutdown = 2
    try:
        Server(config).run()
    except SystemExit:  # uvicorn exits when it cannot bind after all
        raise ConfigError(f"cannot listen on {host}:{port}") from None


def _check_free(host: str, port: int) -> None:
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None

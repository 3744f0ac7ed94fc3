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
    shown = f"[{host}]" if ":" in host else host
    app = create_app(models_dir, device, ready=ready and (lambda: ready(f"http://{shown}:{port}/")))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    if not server.started:
        raise ConfigError(f"cannot listen on {host}:{port} (in use by another program?)")

"""gunicorn settings of the production setup (docs/operations.md, step 7), read with
`--config python:config.gunicorn` by deploy/anbiao-web.service, the production smoke and the
load benchmarks; the command line adds the socket, the workers and the timeouts.

The application is loaded once in gunicorn's master process and warmed up there (URL map,
view modules, every template compiled) before the workers are forked: each worker — also one
recycled by --max-requests — answers its first request without a second or two of imports and
template compiling. A code upgrade therefore needs a restart, not a reload (HUP).
"""

preload_app = True
# gunicorn 27's admin socket (under $HOME/.gunicorn) is not used.
control_socket_disable = True


def when_ready(server) -> None:
    from config.warmup import warm_up

    seconds = warm_up()
    server.log.info("anbiao warmed up in %.1f s", seconds)

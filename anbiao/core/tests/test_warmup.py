"""gunicorn's master warms the application before forking workers (config/gunicorn.py)."""

from django.template import engines

from config.warmup import warm_up


def test_warming_up_compiles_every_template_and_loads_the_url_map():
    """Every page template compiles on its own (a syntax error would stop the server at start,
    not one user's page later), and the cached loader holds them for the forked workers."""
    assert warm_up() > 0
    cached = engines["django"].engine.template_loaders[0]
    assert len(cached.get_template_cache) >= 100

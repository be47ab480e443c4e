"""The ecomap dashboard (Dash): the only package that imports Dash.

``create_app(source)`` builds the app over a store or an
:class:`~ecosystem.service.Ecomap`; ``run_server`` serves it on
127.0.0.1. Every asset is bundled under ``assets/``: the app works with no
internet at all.
"""

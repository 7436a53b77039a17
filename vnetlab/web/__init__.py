"""The web view (``vnetlab serve``): a local page with the lab's topology, live counters,
tables, checks, traces and pcap downloads, over the same JSON as the CLI's ``--json``.

A top layer like ``cli``: ``session`` drives one realized engine, ``app`` is the Starlette
app behind the run's token, ``server`` binds and runs it with uvicorn; the page itself is
``static/`` (plain HTML, CSS and JavaScript, no external assets)."""

"""Measuring the kernel's data paths (``vnetlab bench dataplane``).

``paths`` (the labs and the seed's claims), ``measure`` (iperf3, UDP request/response,
ping, CPU time), ``runner`` (build, repeat, tear down; the result document), ``stats``,
``parse``, ``costs`` (the one ``vnetlab-costs/1`` writer), ``udprr`` and ``tunfwd`` (the
programs run inside the labs).
"""

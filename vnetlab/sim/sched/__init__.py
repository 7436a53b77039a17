"""The emulator's traffic control: qdiscs on the transmit path (net/sched/).

Modules: ``qdisc`` (the ``dev_queue_xmit`` seam, ``Qdisc`` with its stats and run loop,
the watchdog), ``prandom`` (netem's seeded PRNG, correlation, distribution tables),
``sch_netem``, ``sch_tbf``, ``sch_htb`` (one module per kind, after net/sched/sch_*.c) and
``tc`` (``tc qdisc add|change|replace|del`` on a namespace). The model side, the ``tc``
command line itself, is ``vnetlab.model.tc``.
"""
